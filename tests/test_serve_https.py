"""``zongzhi serve --ssl-certfile --ssl-keyfile`` serves HTTPS itself: a phone's browser gives a
grid worker's position (上报位置) to an HTTPS page only. A real server process is started on
the suite's database with a certificate the test makes; half a configuration is refused."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
import subprocess
import time
from pathlib import Path

import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from api.settings import ApiSettings
from tests.api_fixtures import free_port
from tests.conftest import SuiteDatabase
from tests.test_serve_shutdown import ZONGZHI


def _certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate of 127.0.0.1 and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "综治中心测试")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_serve_answers_over_https_with_the_certificate_given(
    database: SuiteDatabase, api_settings: ApiSettings, tmp_path: Path
) -> None:
    cert, key = _certificate(tmp_path)
    env = {
        **os.environ,
        "ZONGZHI_HOME": str(tmp_path / "home"),
        "ZONGZHI_DATABASE_URL": database.urls.owner,
        "ZONGZHI_APP_DATABASE_URL": database.urls.app,
        "ZONGZHI_JWT_SECRET": str(api_settings.jwt_secret),
    }
    half = subprocess.run(
        [str(ZONGZHI), "serve", "--ssl-certfile", str(cert)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert half.returncode == 2 and "--ssl-certfile 和 --ssl-keyfile 须同时给出" in half.stderr

    port = free_port()
    log = tmp_path / "serve.log"
    command = [str(ZONGZHI), "serve", "--port", str(port)]
    command += ["--ssl-certfile", str(cert), "--ssl-keyfile", str(key)]
    with log.open("wb") as sink:
        process = subprocess.Popen(command, env=env, stdout=sink, stderr=sink)
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        deadline = time.monotonic() + 120
        page = None
        while page is None and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            try:
                page = httpx2.get(f"https://127.0.0.1:{port}/login", verify=trusted, timeout=2)
            except httpx2.TransportError:
                time.sleep(0.2)
        assert page is not None, log.read_text()
        assert page.status_code == 200 and "登录" in page.text
        with pytest.raises(httpx2.TransportError):  # no plain HTTP on that port
            httpx2.get(f"http://127.0.0.1:{port}/login", timeout=2)
    finally:
        process.kill()
        process.wait(timeout=30)
