# TLS for --tls: a self-signed certificate for 127.0.0.1 and localhost made with the
# openssl CLI at start, and the server-side SSL context both origins use.
"""Self-signed certificate and SSL context."""

import os
import ssl
import subprocess


def make_context(state_dir):
    """Write STATE_DIR/cert.pem and key.pem; return (SSLContext, path of cert.pem)."""
    cert = os.path.join(state_dir, "cert.pem")
    key = os.path.join(state_dir, "key.pem")
    cmd = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes", "-sha256", "-days", "30", "-subj", "/CN=127.0.0.1",
           "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
           "-keyout", key, "-out", cert]
    try:
        subprocess.run(cmd, check=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60)
    except FileNotFoundError:
        raise SystemExit("bwsim: --tls needs the openssl command") from None
    except subprocess.CalledProcessError as exc:
        raise SystemExit(f"bwsim: openssl failed: {exc.stderr.decode(errors='replace')}") from None
    os.chmod(key, 0o600)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    return ctx, cert
