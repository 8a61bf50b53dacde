# Toxiproxy server built on the host (go install github.com/Shopify/toxiproxy/v2/cmd/server@v2.12.0)
# on top of the locally built drdrill base image. The proxies come from toxiproxy.json.
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
LABEL io.drdrill.managed="true" io.drdrill.image="toxiproxy"
COPY toxiproxy-server /usr/local/bin/toxiproxy-server
COPY toxiproxy.json /etc/drdrill/toxiproxy.json
COPY bin/ /opt/drdrill/bin/
EXPOSE 8474
CMD ["/usr/local/bin/toxiproxy-server", "-host", "0.0.0.0", "-port", "8474", "-config", "/etc/drdrill/toxiproxy.json"]
