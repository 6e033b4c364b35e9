# syntax=docker/dockerfile:1
# The bot's image. One image for every role: `python main.py` (the bot: long polling, or webhook mode when
# WEBHOOK_URL is set) and `python main.py migrate` (compose.yaml runs both; README.md, "Deploying with
# Docker and webhooks").
FROM python:3.11-slim

# MPLCONFIGDIR: the charts are drawn with matplotlib, which wants a writable cache folder, and the bot's
# home is not writable.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app

# Reading business cards: Tesseract's language data for the bot's five languages (the tesserocr wheel that
# pip installs below carries the library itself; README.md, "Reading business cards").
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-eng tesseract-ocr-fin \
        tesseract-ocr-nor tesseract-ocr-hun tesseract-ocr-fra \
    && rm -rf /var/lib/apt/lists/*

# The dependencies first, in a layer that only a change to pyproject.toml rebuilds. Empty package folders
# let pip resolve the project without its code; the code then runs from /app, as in a checkout (every
# data file it reads, catalogs and migrations included, is there, whatever package-data lists).
COPY pyproject.toml README.md ./
RUN mkdir bot handlers storage \
    && pip install ".[postgres]" \
    && pip uninstall --yes prospect-bot \
    && rm -rf bot handlers storage build prospect_bot.egg-info

COPY main.py ./
COPY bot/ bot/
COPY handlers/ handlers/
COPY storage/ storage/
COPY runtime/ runtime/
RUN python -m compileall -q main.py bot handlers storage

# Not root. The code stays root's and read-only; data/ is where the default SQLite database goes when the
# image runs without PostgreSQL (mount a volume there to keep it).
RUN useradd --system --user-group --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin bot \
    && mkdir data \
    && chown bot:bot data
USER bot
# matplotlib's list of fonts, built once here as the bot's user rather than on the first /stats.
RUN python -c "import matplotlib.font_manager"

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
