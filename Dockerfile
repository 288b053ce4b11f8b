# Production image (OPS-2): web (gunicorn), Celery worker and beat all run from this image;
# docker-compose.yml starts the production shape. tests/test_compose.py checks that every command
# compose runs exists in the project and that this file copies what those commands need.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # Run from the source tree in /app: settings find templates/, static/ and locale/ next to manage.py.
    PYTHONPATH=/app \
    PORTAL_VAR_DIR=/app/var \
    DJANGO_SETTINGS_MODULE=portal.settings

# WeasyPrint (offers as PDF) needs Pango; compilemessages needs gettext.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

COPY pyproject.toml manage.py ./
COPY portal/ portal/
COPY accounts/ accounts/
COPY tenants/ tenants/
COPY delegations/ delegations/
COPY licenses/ licenses/
COPY support/ support/
COPY reports/ reports/
COPY templates/ templates/
COPY static/ static/
COPY locale/ locale/

RUN pip install . \
 && rm -rf build *.egg-info

# Static files and translations are baked into the image; DEBUG=0 builds whitenoise's manifest.
RUN DEBUG=0 SECRET_KEY=build-only-not-a-secret python manage.py compilemessages --ignore=var -v 0 \
 && DEBUG=0 SECRET_KEY=build-only-not-a-secret python manage.py collectstatic --no-input -v 0

RUN useradd --create-home --uid 10001 portal \
 && mkdir -p /app/var/mail /app/var/media \
 && chown -R portal:portal /app/var
USER portal

EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
