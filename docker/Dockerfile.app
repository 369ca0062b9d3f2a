# The hotline application: HTTP + websocket (8080) and FastAGI (4573), talking to an external Asterisk.
# Build from the repository root: docker build -f docker/Dockerfile.app .
FROM node:20-slim AS web
WORKDIR /build/agent_desktop/web
COPY agent_desktop/web/package.json agent_desktop/web/package-lock.json agent_desktop/web/echarts.js agent_desktop/web/codemirror.js ./
RUN npm ci --no-audit --no-fund && mkdir -p ../static/vendor && npm run vendor

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# espeak-ng (pinyin voice) and sox: the app generates the IVR prompts it serves
RUN apt-get update \
    && apt-get install -y --no-install-recommends espeak-ng sox \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 10001 hotline \
    && useradd --system --uid 10001 --gid hotline --home-dir /var/lib/hotline --create-home hotline \
    && install -d -o hotline -g hotline /var/cache/hotline /etc/hotline/conf

WORKDIR /opt/hotline
COPY pyproject.toml README.md ./
COPY hotline ./hotline
COPY ivr ./ivr
COPY acd ./acd
COPY agent_desktop ./agent_desktop
COPY --from=web /build/agent_desktop/static/vendor ./agent_desktop/static/vendor
COPY recordings ./recordings
COPY tickets ./tickets
COPY privacy ./privacy
COPY supervisor ./supervisor
COPY linkage110 ./linkage110
COPY admin ./admin
COPY qa ./qa
COPY chat ./chat
COPY asterisk_conf ./asterisk_conf
COPY kamailio_conf ./kamailio_conf
RUN pip install . && hotline --help > /dev/null

ENV HOTLINE_ASTERISK_MODE=external \
    HOTLINE_STATE_DIR=/var/lib/hotline \
    HOTLINE_CACHE_DIR=/var/cache/hotline \
    HOTLINE_ASTERISK_CONF_SRC=/opt/hotline/asterisk_conf \
    HOTLINE_TRUNKS_FILE=/opt/hotline/asterisk_conf/trunks.yaml \
    HOTLINE_KAMAILIO_CONF_SRC=/opt/hotline/kamailio_conf \
    HOTLINE_HTTP_HOST=0.0.0.0 \
    HOTLINE_FASTAGI_HOST=0.0.0.0

USER hotline
EXPOSE 8080 4573
STOPSIGNAL SIGTERM
CMD ["hotline", "run", "--no-sandbox"]
