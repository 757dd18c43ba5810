"""Shared fixtures. Fixture families live in tests/fixtures_*.py and are imported here."""
from tests.fixtures_sendsay import sendsay, sendsay_client  # noqa: F401
from tests.fixtures_project import project, sample, sample_project, sample_sendsay, settings  # noqa: F401,E501
from tests.fixtures_smtp import smtpd  # noqa: F401
from tests.fixtures_archive import generated_archive, sample_site_project  # noqa: F401
from tests.fixtures_serve import chromium, page, preview, sample_copy  # noqa: F401
