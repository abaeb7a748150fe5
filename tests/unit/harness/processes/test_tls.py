"""The throw-away certificate: valid now for 127.0.0.1 only, written as PEM files, trusted by its own context only.

Handshakes run in memory (two ssl.MemoryBIO pairs): no socket, no server process.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.processes.servers import HOST
from harness.processes.tls import LIFETIME, Tls, self_signed


def _certificate(tls: Tls) -> x509.Certificate:
    return x509.load_pem_x509_certificate(tls.certificate.read_bytes())


def _handshake(server_tls: Tls, client: ssl.SSLContext, server_hostname: str) -> str:
    """Complete a TLS handshake between a server serving `server_tls` and `client`; the protocol version agreed."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(server_tls.certificate, server_tls.key)
    to_server, to_client = ssl.MemoryBIO(), ssl.MemoryBIO()
    client_side = client.wrap_bio(to_client, to_server, server_hostname=server_hostname)
    server_side = server_context.wrap_bio(to_server, to_client, server_side=True)
    done = {client_side: False, server_side: False}
    for _ in range(10):
        for side in done:
            if not done[side]:
                try:
                    side.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        if all(done.values()):
            return str(client_side.version())
    raise AssertionError("the handshake did not finish")


@pytest.fixture(scope="module")
def tls(tmp_path_factory):
    return self_signed(tmp_path_factory.mktemp("tls"))


def test_writes_the_certificate_and_key_as_pem_files_in_the_directory(tmp_path):
    made = self_signed(tmp_path)
    assert made == Tls(tmp_path / "certificate.pem", tmp_path / "key.pem")
    key = serialization.load_pem_private_key(made.key.read_bytes(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert made.key.read_text(encoding="ascii").startswith("-----BEGIN PRIVATE KEY-----")  # PKCS8, unencrypted
    assert _certificate(made).public_key() == key.public_key()


def test_names_the_host_as_an_ip_address_and_is_no_ca(tls):
    certificate = _certificate(tls)
    assert certificate.subject == certificate.issuer  # self-signed
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == HOST
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address(HOST)]
    assert names.get_values_for_type(x509.DNSName) == []
    constraints = certificate.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical
    assert constraints.value.ca is False


def test_is_valid_from_a_little_before_now_for_its_lifetime(tls):
    certificate = _certificate(tls)
    now = dt.datetime.now(dt.timezone.utc)
    # Backdated, so a server a little behind the client's clock accepts it.
    assert certificate.not_valid_before_utc < now - dt.timedelta(minutes=1)
    assert now + LIFETIME - dt.timedelta(minutes=5) < certificate.not_valid_after_utc <= now + LIFETIME


def test_every_call_makes_a_new_key_and_serial_number(tls, tmp_path):
    other = self_signed(tmp_path)
    assert other.key.read_bytes() != tls.key.read_bytes()
    assert _certificate(other).serial_number != _certificate(tls).serial_number


def test_its_own_context_trusts_it_for_the_host(tls):
    assert _handshake(tls, tls.context(), HOST).startswith("TLSv1.")


def test_its_own_context_still_checks_the_host_name(tls):
    with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch|doesn't match|mismatch"):
        _handshake(tls, tls.context(), "127.0.0.2")


def test_its_context_trusts_no_other_certificate(tls, tmp_path):
    with pytest.raises(ssl.SSLCertVerificationError, match="self-signed certificate|unable to get local issuer"):
        _handshake(self_signed(tmp_path), tls.context(), HOST)


def test_the_default_trust_store_does_not_trust_it(tls):
    with pytest.raises(ssl.SSLCertVerificationError):
        _handshake(tls, ssl.create_default_context(), HOST)
