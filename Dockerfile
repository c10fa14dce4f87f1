# mxwatch in a container, on Debian 12. Built from this source tree and Debian's packages
# only: nothing else is downloaded. hadolint is not packaged in Debian 12, so the file is
# kept small and each step says why it is there; tests/integration/dockerfile_inputs.sh
# checks what it copies and installs.
#
#   docker build --build-arg REVISION=$(git rev-parse --short HEAD) -t mxwatch .
#   docker run -d --name mxwatch --network host \
#       --group-add adm \
#       -v /etc/mxwatch:/etc/mxwatch:ro \
#       -v /var/log:/var/log/host:ro \
#       -v mxwatch-state:/var/lib/mxwatch \
#       mxwatch
#
# --network host: the probes leave from the host's own addresses (so global.source_address
# can name the address the mail leaves from), the host's resolver on 127.0.0.1 answers them,
# the connections source sees the host's SMTP connections (the kernel reports the sockets of
# its network namespace only), and :9725 is the host's port. Without it a container probes
# through the bridge's NAT and counts no connection.
# --group-add adm with /var/log mounted read-only: Debian's mail.log is root:adm 0640. Mount
# the directory, not the file, so a rotated log is followed; set
# sources.postfix.log_file: /var/log/host/mail.log in the mounted mxwatch.yml.
# SNMP: add -v /var/agentx:/var/agentx and --group-add with the number of the socket's group
# (deploy/snmp/README.md), or set snmp.enabled: false.
# The Postfix queue source and delivernow run postqueue, which is not in this image: on a
# host whose queue matters, install the Debian package on the host instead (README.md).

# Stage 1: compile. The compiler and the -dev packages stay in this stage.
FROM debian:bookworm-slim AS build
# The build dependencies of `make build/mxwatch`: the compiler, pkg-config, xxd (embeds the
# status page's files) and the libraries' headers, as tests/lib/deps.sh lists them.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        gcc libc6-dev make pkg-config xxd \
        libc-ares-dev libcurl4-openssl-dev libmicrohttpd-dev libyaml-dev libjson-c-dev \
        libxml2-dev zlib1g-dev libssl-dev libsnmp-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only the sources of the binary (.dockerignore keeps everything else out of the context).
COPY Makefile ./
COPY agent ./agent
COPY probes ./probes
COPY exporters ./exporters
# The revision --version prints; the context has no .git to ask.
ARG REVISION=unknown
RUN make build/mxwatch REVISION="$REVISION"

# Stage 2: what runs. Only the shared libraries the binary links (objdump -p build/mxwatch)
# and the CA certificates that verify gateways' and MX hosts' certificates.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libc-ares2 libcurl4 libmicrohttpd12 libyaml-0-2 libjson-c5 libxml2 zlib1g \
        libssl3 libsnmp40 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# A system user with a fixed uid, so the state volume keeps one owner across image updates;
# its home is the state directory, created 0750 as the Debian package creates it.
RUN useradd --system --user-group --uid 9725 --home-dir /var/lib/mxwatch \
        --shell /usr/sbin/nologin mxwatch \
    && install -d -o mxwatch -g mxwatch -m 0750 /var/lib/mxwatch
COPY --from=build /src/build/mxwatch /usr/bin/mxwatch
COPY mibs/MXWATCH-MIB.txt /usr/share/snmp/mibs/MXWATCH-MIB.txt
COPY deploy/mxwatch.example.yml /usr/share/doc/mxwatch/mxwatch.example.yml
# The read position in the mail log (sources.postfix.state_file) survives a new container.
VOLUME /var/lib/mxwatch
# /metrics, the status page and the JSON API.
EXPOSE 9725
USER mxwatch
ENTRYPOINT ["/usr/bin/mxwatch"]
# The configuration is mounted at /etc/mxwatch; naming it makes a missing mount an error
# instead of an agent that silently watches nothing.
CMD ["run", "--config.file=/etc/mxwatch/mxwatch.yml"]
