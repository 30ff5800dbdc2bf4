# The OKR Ledger image: the API, the publisher, projection workers and the intake all
# run from it, each with its own command (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY ledger ledger
COPY commands commands
COPY projections projections
COPY web web
COPY streams streams
COPY okr_ledger okr_ledger
# /keys: the transparency log's signing key (a volume; see docker-compose.yml)
RUN pip install . && useradd --system --uid 10001 --home-dir /app okr \
    && mkdir -m 0700 /keys && chown okr /keys
USER okr

EXPOSE 8000
ENTRYPOINT ["okr-ledger"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
