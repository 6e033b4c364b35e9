# syntax=docker/dockerfile:1
# The bot's image. One image for every role: `python main.py` (the bot: long polling, or webhook mode when
# WEBHOOK_URL is set) and `python main.py migrate` (compose.yaml runs both; README.md, "Deploying with
# Docker and webhooks").
#
# The base image is pinned by digest: a rebuild gets the same Python and Debian until the digest is bumped
# on purpose (README.md, "Updating the base images").
FROM python:3.11-slim@sha256:90744cff8f32887f075c47d747a173ff333e9e98801667af93c357fa9f5e28ff

# MPLCONFIGDIR: the charts are drawn with matplotlib, whose font list is built below, at build time, into
# a folder the bot's user owns (the bot's home is not writable, and /tmp may be a fresh tmpfs).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/var/cache/matplotlib

WORKDIR /app

# Reading business cards: Tesseract's language data for the bot's five languages (the tesserocr wheel that
# pip installs below carries the library itself; README.md, "Reading business cards").
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-fin \
        tesseract-ocr-nor tesseract-ocr-hun tesseract-ocr-fra \
    && rm -rf /var/lib/apt/lists/*

# Not root: a fixed uid, which a host or an orchestrator can check (runAsNonRoot) without this image's
# /etc/passwd. The code stays root's and read-only; data/ is where the default SQLite database and the
# polling health file go (mount a volume there to keep the database).
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir data \
    && chown 10001:10001 data

# The dependencies first, in a layer that only a change to the lock rebuilds: requirements.lock pins every
# package the bot runs on, with its hashes, to the versions the test suite passed on (README.md,
# "Dependencies"), so an image built next month installs what was tested today. The code then runs from
# /app, as in a checkout (every data file it reads, catalogs and migrations included, is there).
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

# matplotlib's list of fonts, built once here rather than on the first /stats of every container: it
# depends only on matplotlib and the fonts installed above, so code changes do not rebuild it.
RUN python -c "import matplotlib.font_manager" \
    && chown -R 10001:10001 "$MPLCONFIGDIR"

COPY main.py ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY storage/ storage/
COPY runtime/ runtime/
RUN python -m compileall -q main.py bot handlers storage runtime

USER 10001:10001

# Webhook mode listens on PORT (8443 by default), plain HTTP: TLS is the proxy's job (compose.yaml).
EXPOSE 8443

# Webhook mode: this container's /healthz (200 when the application runs, the database answers and the
# dispatcher ran lately). Long polling has no server: the bot notes in data/health.json when its dispatcher
# and getUpdates loop last ran, and the check reads that. `healthcheck` needs no BOT_TOKEN and imports only
# the settings and that file's reader, so it is cheap every 30 s.
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "main.py", "healthcheck"]

# Exec form: python is PID 1 and receives docker stop's SIGTERM, which runtime/webhook.py (and PTB's polling)
# turn into a clean shutdown.
CMD ["python", "main.py"]
