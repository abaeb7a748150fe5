"""A throw-away self-signed certificate for 127.0.0.1, so a server can speak TLS and offer HTTP/2 by ALPN.

https://cryptography.io/en/latest/x509/tutorial/#creating-a-self-signed-certificate
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from harness.processes.servers import HOST

# Long enough for any env's run; the certificate never leaves the temp dir it was made in.
LIFETIME = dt.timedelta(days=1)


@dataclass(frozen=True)
class Tls:
    """A certificate and its private key, as the PEM files a server is started with."""

    certificate: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        """A client context that trusts this certificate only, and still checks that it names 127.0.0.1."""
        return ssl.create_default_context(cafile=str(self.certificate))


def self_signed(directory: Path) -> Tls:
    """Write a new key and a certificate for HOST (as an IP SAN, which hostname checking needs) into `directory`."""
    # cryptography before 3.1 (the as-shipped envs of 2019-2020) needs the backend passed; later ones ignore it.
    backend = default_backend()
    key = ec.generate_private_key(ec.SECP256R1(), backend)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    # Backdated a little: a server whose clock is a second behind the client's must not see it as not yet valid.
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + LIFETIME)
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256(), backend)
    )
    tls = Tls(directory / "certificate.pem", directory / "key.pem")
    tls.key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    tls.certificate.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return tls
