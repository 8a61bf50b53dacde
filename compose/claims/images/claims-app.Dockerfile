# Application image of the claims system: intake, worker, monitor and the Postgres entrypoint, on top of drdrill's
# locally built base image (BASE_IMAGE=drdrill/base:local, set by compose.yaml's build args; never pulled).
# The providers are not in it: compose runs drdrill's own simulator image (drdrill/provider-sim:local).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.drdrill.managed="true" io.drdrill.image="claims-app"
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=/opt/drdrill/site
# The workers' official AI SDKs (openai, anthropic), the search service's vector index library (usearch) and
# numpy, with what they need, from pinned wheels (wheels.txt) that drdrill fetched on the host before the build
# (no registry is reached from here); a wheel is a zip to unpack.
COPY wheels/ /tmp/wheels/
# Compiled here, as pip compiles what it installs: a container writes no bytecode (PYTHONDONTWRITEBYTECODE), so
# without it every start of a worker compiled both SDKs again (2.0 s of imports instead of 1.2 s on an idle
# 2-core host, twice that while a zone's pods all start at once). Hash-based: the unpacked files' times do not
# matter.
RUN for wheel in /tmp/wheels/*.whl; do python3 -m zipfile -e "$wheel" /opt/drdrill/site; done && rm -rf /tmp/wheels \
    && python3 -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/drdrill/site
COPY search/ /opt/drdrill/search/
COPY postgres/ /opt/drdrill/postgres/
# A ready cluster in the image: the postgres service starts in well under a second, no initdb.
RUN /opt/drdrill/postgres/entrypoint.sh --init-only
COPY apps/ /opt/drdrill/apps/
COPY bin/ /opt/drdrill/bin/
WORKDIR /opt/drdrill/apps
CMD ["python3", "/opt/drdrill/apps/intake.py"]
