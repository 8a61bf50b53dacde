# Application image of the staging claims system: intake, worker, provider simulator and the Postgres
# entrypoint, on top of the locally built drdrill base image (never pulled: BASE_IMAGE is a local tag).
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.drdrill.managed="true" io.drdrill.image="claims-app"
ENV PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
COPY postgres/entrypoint.sh /opt/drdrill/postgres/entrypoint.sh
# A ready cluster in the image: the postgres service starts in well under a second, no initdb.
RUN /opt/drdrill/postgres/entrypoint.sh --init-only
COPY apps/ /opt/drdrill/apps/
COPY bin/ /opt/drdrill/bin/
WORKDIR /opt/drdrill/apps
CMD ["python3", "/opt/drdrill/apps/intake.py"]
