"""
Certificates for the TLS tests, made on the spot with C{cryptography}: an
authority, server certificates it signs, and self-signed ones.
"""

import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ONE_DAY = datetime.timedelta(days=1)


class Issued:
    """A key and its certificate, written as PEM files in a directory."""

    def __init__(
        self,
        directory: Path,
        name: str,
        key: ec.EllipticCurvePrivateKey,
        cert: x509.Certificate,
    ) -> None:
        self.key = key
        self.certificate = cert
        self.keyPath = directory / f"{name}.key"
        self.certPath = directory / f"{name}.pem"
        self.keyPath.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        self.certPath.write_bytes(cert.public_bytes(serialization.Encoding.PEM))

    @property
    def fingerprint(self) -> str:
        """SHA-256, as AB:CD:..., the way OpenSSL writes it."""
        digest = self.certificate.fingerprint(hashes.SHA256())
        return ":".join(f"{byte:02X}" for byte in digest)

    def listen(self, port: int = 0) -> str:
        """A server endpoint string serving this certificate on loopback."""
        return (
            f"ssl:{port}:interface=127.0.0.1:privateKey={self.keyPath}"
            f":certKey={self.certPath}"
        )


def issue(
    directory: Path,
    name: str,
    hostname: str = "localhost",
    authority: Issued | None = None,
    isAuthority: bool = False,
) -> Issued:
    """
    Make a key and a certificate for C{hostname} (and 127.0.0.1), signed by
    C{authority}, or self-signed.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.certificate.subject if authority else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - ONE_DAY)
        .not_valid_after(now + ONE_DAY)
        .add_extension(
            x509.BasicConstraints(ca=isAuthority, path_length=None), critical=True
        )
    )
    if isAuthority:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.DNSName(hostname),
                    x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                ]
            ),
            critical=False,
        )
    signer = authority.key if authority else key
    return Issued(directory, name, key, builder.sign(signer, hashes.SHA256()))
