"""Outbound requests the server makes for users (``image_url``, ``video_url``, ``callback_url``).

These URLs come from clients, so each one is a chance to make the server reach something the
client cannot (server-side request forgery). Every outbound request here:

* is http or https, on an allowed port (Kakao: 80 and 443);
* resolves the host name and checks *every* address it resolves to: loopback, private,
  link-local, shared, reserved, multicast and cloud-metadata addresses are refused unless the
  configuration allows private addresses (metadata addresses are refused always);
* then connects to the address that was checked (host name kept for ``Host`` and TLS), so a
  DNS answer that changes between check and connect (rebinding) cannot redirect it;
* follows no redirects, and has a connect timeout, a read timeout, an overall deadline and a
  minimum rate, enforced *inside* the read: a watchdog thread shuts the socket down the moment a
  transfer is past its deadline or below its rate, so a peer dripping one byte at a time (in the
  headers, the TLS handshake or the body) cannot stretch it;
* bounds the bytes it downloads.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import urllib3
import urllib3.connection

from posekit._deadline import Transfer

__all__ = [
    "METADATA_ADDRESSES",
    "CheckedURL",
    "FetchError",
    "TooLargeError",
    "Transfer",
    "UnsafeURLError",
    "UrlPolicy",
    "address_problem",
    "check_url",
    "fetch_to_file",
    "post_json",
]

log = logging.getLogger("posekit.server")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Cloud instance-metadata endpoints (AWS/GCP/Azure/OpenStack, AWS ECS, AWS IPv6, Alibaba).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Not public, whatever the ``ipaddress`` module of this Python says: IETF protocol
#: assignments (192.0.0.0/24), local-use NAT64 (RFC 8215) and IPv4-compatible IPv6 (::/96).
_NOT_PUBLIC = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "64:ff9b:1::/48", "::/96"))
_CHUNK = 64 * 1024


class UnsafeURLError(ValueError):
    """The URL is not allowed: scheme, port or one of its addresses.

    Examples
    --------
    >>> from posekit.server.netguard import UnsafeURLError, check_url
    >>> try:
    ...     check_url("file:///etc/passwd")
    ... except UnsafeURLError as err:
    ...     print(err)
    only http and https URLs are supported, not 'file'
    """


class FetchError(OSError):
    """The download or the callback failed (connection, timeout, HTTP status, redirect).

    Examples
    --------
    >>> import socket
    >>> from posekit.server.netguard import FetchError, UrlPolicy, fetch_to_file
    >>> with socket.socket() as sock:  # a free port that nobody listens on
    ...     sock.bind(("127.0.0.1", 0))
    ...     port = sock.getsockname()[1]
    >>> policy = UrlPolicy(allow_private=True, ports=None)  # loopback allowed, for the example
    >>> try:
    ...     fetch_to_file(f"http://127.0.0.1:{port}/clip.mp4", "/tmp/never-written",
    ...                   max_bytes=1000, policy=policy)
    ... except FetchError as err:
    ...     print(str(err).startswith(f"cannot reach http://127.0.0.1:{port}/clip.mp4"))
    True
    """


class TooLargeError(FetchError):
    """The answer is larger than allowed.

    Examples
    --------
    >>> from posekit.server.netguard import FetchError, TooLargeError
    >>> issubclass(TooLargeError, FetchError), issubclass(TooLargeError, OSError)
    (True, True)
    """


@dataclass(frozen=True)
class UrlPolicy:
    """Which URLs may be reached and how long to wait (seconds).

    Made by the server from its :class:`~posekit.server.ServerConfig`.

    Parameters
    ----------
    allow_private
        Let URLs reach loopback, private and link-local addresses (cloud metadata addresses
        stay refused).
    ports
        The ports allowed; None allows any.
    connect_timeout_s, read_timeout_s
        Seconds to connect, and the longest wait for the next bytes.
    total_timeout_s
        Seconds a whole download may take.
    min_rate_bytes_s
        The slowest average download rate, after the first ``read_timeout_s`` seconds.
    callback_timeout_s
        Seconds a whole callback call may take.
    ca_file
        Trust these CA certificates (a PEM file) instead of the system's.

    Examples
    --------
    >>> from posekit.server.netguard import UnsafeURLError, UrlPolicy, check_url
    >>> public = lambda host, port: ["93.184.215.14"]  # a resolver, for the example
    >>> check_url("http://example.com:8080/", policy=UrlPolicy(ports=None), resolver=public).port
    8080
    >>> try:
    ...     check_url("http://example.com:8080/", policy=UrlPolicy(), resolver=public)
    ... except UnsafeURLError as err:
    ...     print(err)
    port 8080 is not allowed (allowed: 80, 443)
    """

    allow_private: bool = False
    ports: tuple[int, ...] | None = (80, 443)
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 15.0
    total_timeout_s: float = 120.0
    min_rate_bytes_s: float = 16 * 1024  # after the first read_timeout_s seconds, on average
    callback_timeout_s: float = 30.0
    ca_file: str | None = None  # trust these CA certificates instead of the system's


@dataclass(frozen=True)
class CheckedURL:
    """A URL that passed :func:`check_url`, with the addresses to connect to.

    Parameters
    ----------
    url
        The URL as given.
    scheme
        ``"http"`` or ``"https"``.
    host
        The host name (or address) of the URL.
    port
        The port, the scheme's default when the URL names none.
    target
        The path and query, as sent in the request line.
    host_header
        The ``Host`` header to send (with the port when it is not the default).
    addresses
        Every address the host resolved to, each one checked.

    Examples
    --------
    >>> from posekit.server.netguard import check_url
    >>> checked = check_url("https://example.com/videos/clip.mp4?s=1",
    ...                     resolver=lambda host, port: ["93.184.215.14"])
    >>> checked.port, checked.target, checked.host_header, checked.addresses
    (443, '/videos/clip.mp4?s=1', 'example.com', ('93.184.215.14',))
    """

    url: str
    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    host_header: str
    addresses: tuple[str, ...]


def _embedded_v4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64 or ip in _NOT_PUBLIC[1] or (ip in _NOT_PUBLIC[2] and int(ip) > 1):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_problem(ip: str | IPAddress, *, allow_private: bool = False) -> str | None:
    """Why the server must not connect to ``ip``, or ``None`` when it may.

    Refused always: unspecified, multicast and cloud-metadata addresses. Refused unless
    ``allow_private``: every address that is not globally routable (loopback 127/8 and ::1,
    private 10/8, 172.16/12, 192.168/16 and fc00::/7, link-local 169.254/16 and fe80::/10,
    shared 100.64/10, reserved and documentation ranges), including IPv4 addresses wrapped in
    IPv6 (``::ffff:127.0.0.1``, 6to4, NAT64, Teredo).

    Parameters
    ----------
    ip
        An IPv4 or IPv6 address (text or an ``ipaddress`` object).
    allow_private
        Accept addresses that are not globally routable.

    Returns
    -------
    str or None
        The reason it is refused, or None.

    Raises
    ------
    ValueError
        ``ip`` is not an IP address.

    Examples
    --------
    >>> from posekit.server.netguard import address_problem
    >>> address_problem("93.184.215.14") is None
    True
    >>> address_problem("10.1.2.3"), address_problem("::ffff:127.0.0.1")
    ('10.1.2.3 is a private address', '::ffff:7f00:1 is a loopback address')
    >>> address_problem("169.254.169.254", allow_private=True)
    '169.254.169.254 is a cloud metadata address'
    """
    addr = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    if isinstance(addr, ipaddress.IPv6Address) and addr.scope_id:
        addr = ipaddress.IPv6Address(str(addr).split("%", 1)[0])
    inner = _embedded_v4(addr)
    for a in (addr, inner) if inner is not None else (addr,):
        if a in METADATA_ADDRESSES:
            return f"{a} is a cloud metadata address"
        if a.is_unspecified:
            return f"{a} is the unspecified address"
        if a.is_multicast:
            return f"{a} is a multicast address"
    if allow_private:
        return None
    check = inner if inner is not None else addr
    if check.is_loopback:
        return f"{addr} is a loopback address"
    if check.is_link_local:
        return f"{addr} is a link-local address"
    if check.is_private:
        return f"{addr} is a private address"
    if not check.is_global or any(
        a.version == n.version and a in n for a in (addr, check) for n in _NOT_PUBLIC
    ):
        return f"{addr} is not a public address"
    return None


Resolver = Callable[[str, int], Sequence[str]]


def _resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


def _check_text(url: object) -> None:
    if not isinstance(url, str) or not url.strip():
        raise UnsafeURLError("the URL is empty")
    if len(url) > 4096:
        raise UnsafeURLError("the URL is longer than 4096 characters")
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url.strip()):
        raise UnsafeURLError("the URL holds spaces or control characters (encode them)")


def check_url(
    url: str, *, policy: UrlPolicy = UrlPolicy(), resolver: Resolver | None = None
) -> CheckedURL:
    """Check ``url`` against ``policy`` and resolve it; raise :class:`UnsafeURLError` if refused.

    ``resolver(host, port) -> [address, ...]`` defaults to ``socket.getaddrinfo``; tests pass
    their own to check names that resolve to refused addresses without any DNS traffic.

    Parameters
    ----------
    url
        The URL a client gave.
    policy
        What is allowed.
    resolver
        Gives the addresses of a host name (default: the system's resolver).

    Returns
    -------
    CheckedURL
        The URL's parts and the checked addresses to connect to.

    Raises
    ------
    UnsafeURLError
        Not http or https, no host, user name or password, a port not allowed, a host that
        does not resolve, or any of its addresses refused by :func:`address_problem`.

    Examples
    --------
    >>> from posekit.server.netguard import UnsafeURLError, check_url
    >>> check_url("https://example.com/clip.mp4", resolver=lambda h, p: ["93.184.215.14"]).host
    'example.com'
    >>> try:  # a public name that resolves to a private address is refused
    ...     check_url("http://intranet.example/", resolver=lambda h, p: ["10.0.0.7"])
    ... except UnsafeURLError as err:
    ...     print(err)
    host 'intranet.example' is not allowed: 10.0.0.7 is a private address
    """
    _check_text(url)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UnsafeURLError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeURLError(f"only http and https URLs are supported, not {scheme or 'none'!r}")
    host = parts.hostname
    if not host:
        raise UnsafeURLError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeURLError("URLs with user names or passwords are not supported")
    if port is None:
        port = 443 if scheme == "https" else 80
    if policy.ports is not None and port not in policy.ports:
        allowed = ", ".join(str(p) for p in policy.ports)
        raise UnsafeURLError(f"port {port} is not allowed (allowed: {allowed})")
    try:
        addresses = list((resolver or _resolve)(host, port))
    except (OSError, UnicodeError) as exc:
        raise UnsafeURLError(f"cannot resolve host {host!r}: {exc}") from None
    if not addresses:
        raise UnsafeURLError(f"host {host!r} has no address")
    for addr in addresses:
        try:
            problem = address_problem(addr, allow_private=policy.allow_private)
        except ValueError:
            problem = f"{addr!r} is not an IP address"
        if problem:
            raise UnsafeURLError(f"host {host!r} is not allowed: {problem}")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    default_port = 443 if scheme == "https" else 80
    bracketed = f"[{host}]" if ":" in host else host
    host_header = bracketed if port == default_port else f"{bracketed}:{port}"
    return CheckedURL(url, scheme, host, port, target, host_header, tuple(addresses))


def _connection_classes(transfer: Transfer) -> tuple[type, type]:
    """urllib3 connection classes whose sockets are registered with ``transfer``."""

    class Conn(urllib3.connection.HTTPConnection):
        def _new_conn(self) -> socket.socket:
            transfer.check()
            sock = super()._new_conn()
            transfer.attach(sock)
            return sock

    class TLSConn(urllib3.connection.HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            transfer.check()
            sock = super()._new_conn()
            transfer.attach(sock)
            return sock

    return Conn, TLSConn


def _request(
    checked: CheckedURL,
    method: str,
    policy: UrlPolicy,
    transfer: Transfer,
    *,
    body: bytes | None,
    headers: dict,
) -> Any:
    """Open ``checked`` (see :func:`_connect`); any failure is a FetchError with its reason."""
    try:
        return _connect(checked, method, policy, transfer, body=body, headers=headers)
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        if transfer.reason is not None:
            raise FetchError(f"{checked.url}: {transfer.reason}") from None
        if isinstance(exc, FetchError):
            raise
        raise FetchError(f"cannot reach {checked.url}: {exc}") from None


def _connect(
    checked: CheckedURL,
    method: str,
    policy: UrlPolicy,
    transfer: Transfer,
    *,
    body: bytes | None,
    headers: dict,
) -> Any:
    timeout = urllib3.Timeout(connect=policy.connect_timeout_s, read=policy.read_timeout_s)
    conn_cls, tls_cls = _connection_classes(transfer)
    last: Exception | None = None
    for ip in checked.addresses:  # all checked; try each until one connects
        if checked.scheme == "https":
            pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                ip,
                checked.port,
                timeout=timeout,
                retries=False,
                maxsize=1,
                server_hostname=checked.host,
                assert_hostname=checked.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=policy.ca_file,
            )
            pool.ConnectionCls = tls_cls
        else:
            pool = urllib3.HTTPConnectionPool(
                ip, checked.port, timeout=timeout, retries=False, maxsize=1
            )
            pool.ConnectionCls = conn_cls
        try:
            resp = pool.urlopen(
                method,
                checked.target,
                body=body,
                headers={"Host": checked.host_header, **headers},
                redirect=False,
                retries=False,
                preload_content=False,
                assert_same_host=False,
            )
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            last = exc
            pool.close()
            transfer.check()  # past the deadline: that is the reason, not the address
            continue
        if 300 <= resp.status < 400:
            resp.release_conn()
            pool.close()
            raise FetchError(
                f"{checked.url} answered a redirect ({resp.status}); redirects are not followed"
            )
        return resp, pool
    raise FetchError(f"cannot reach {checked.url}: {last}")


def fetch_to_file(
    url: str,
    dest: str | Path,
    *,
    max_bytes: int,
    policy: UrlPolicy = UrlPolicy(),
    resolver: Resolver | None = None,
    transfer: Transfer | None = None,
) -> int:
    """Download ``url`` into ``dest`` (bounded, no redirects); return the number of bytes.

    The whole download (connection, headers, body) ends within ``policy.total_timeout_s``
    and keeps ``policy.min_rate_bytes_s`` on average after its first ``read_timeout_s``
    seconds; pass a :class:`Transfer` to set other bounds or to :meth:`~Transfer.abort` it
    from another thread.

    Raises
    ------
    UnsafeURLError
        The URL is refused by ``policy``.
    TooLargeError
        The answer is larger than ``max_bytes`` (checked against Content-Length up front, and
        while reading).
    FetchError
        Connection failure, timeout, too slow, cancelled, redirect, or an HTTP status other
        than 2xx.

    Parameters
    ----------
    url
        The URL to download.
    dest
        The file to write (removed again if the download fails).
    max_bytes
        The largest download accepted, in bytes.
    policy
        What is allowed, and the time limits.
    resolver
        Gives the addresses of a host name (default: the system's resolver).
    transfer
        The transfer's clock; default one made from ``policy``.

    Returns
    -------
    int
        Bytes written.

    Examples
    --------
    A file served on a loopback port (allowed here by the policy, for the example):

    >>> import tempfile
    >>> import threading
    >>> from functools import partial
    >>> from http.server import HTTPServer, SimpleHTTPRequestHandler
    >>> from pathlib import Path
    >>> from posekit.server.netguard import TooLargeError, UrlPolicy, fetch_to_file
    >>> folder = tempfile.TemporaryDirectory()
    >>> _ = Path(folder.name, "clip.mp4").write_bytes(b"x" * 5000)
    >>> handler = type("Quiet", (SimpleHTTPRequestHandler,), {"log_message": lambda *a: None})
    >>> server = HTTPServer(("127.0.0.1", 0), partial(handler, directory=folder.name))
    >>> url = f"http://127.0.0.1:{server.server_port}/clip.mp4"
    >>> policy = UrlPolicy(allow_private=True, ports=None)
    >>> threading.Thread(target=server.handle_request).start()  # one request
    >>> fetch_to_file(url, f"{folder.name}/copy.mp4", max_bytes=10_000, policy=policy)
    5000
    >>> threading.Thread(target=server.handle_request).start()
    >>> try:
    ...     fetch_to_file(url, f"{folder.name}/copy.mp4", max_bytes=1000, policy=policy)
    ... except TooLargeError as err:
    ...     print(err)  # doctest: +ELLIPSIS
    http://127.0.0.1:.../clip.mp4 is 5000 bytes, more than 1000
    >>> server.server_close(); folder.cleanup()
    """
    checked = check_url(url, policy=policy, resolver=resolver)
    if transfer is None:
        transfer = Transfer(
            "the download",
            total_s=policy.total_timeout_s,
            min_rate_bytes_s=policy.min_rate_bytes_s,
            grace_s=policy.read_timeout_s,
        )
    dest = Path(dest)
    n = 0
    with transfer:
        resp, pool = _request(
            checked,
            "GET",
            policy,
            transfer,
            body=None,
            headers={"Accept-Encoding": "identity"},
        )
        try:
            if not 200 <= resp.status < 300:
                raise FetchError(f"{checked.url} answered HTTP {resp.status}")
            length = resp.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise TooLargeError(f"{checked.url} is {int(length)} bytes, more than {max_bytes}")
            transfer.body_started()
            with open(dest, "wb") as f:
                while True:
                    chunk = resp.read1(_CHUNK, decode_content=False)  # what has arrived
                    transfer.check()
                    if not chunk:
                        break
                    n += len(chunk)
                    transfer.add(len(chunk))
                    if n > max_bytes:
                        raise TooLargeError(f"{checked.url} is more than {max_bytes} bytes")
                    f.write(chunk)
            if length is not None and length.isdigit() and n < int(length):
                raise FetchError(f"{checked.url} ended after {n} of {length} bytes")
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            dest.unlink(missing_ok=True)
            if transfer.reason is not None:
                raise FetchError(f"{checked.url}: {transfer.reason}") from None
            if isinstance(exc, FetchError):
                raise
            raise FetchError(f"download of {checked.url} failed: {exc}") from None
        finally:
            resp.release_conn()
            pool.close()
    return n


def post_json(
    url: str,
    body: bytes,
    *,
    policy: UrlPolicy = UrlPolicy(),
    resolver: Resolver | None = None,
    transfer: Transfer | None = None,
) -> int:
    """POST ``body`` (JSON bytes) to ``url`` once, no redirects, no retries; return the status.

    The call (connection, sending, the answer's headers) ends within
    ``policy.callback_timeout_s``.

    Parameters
    ----------
    url
        The callback URL.
    body
        The JSON to send.
    policy
        What is allowed, and the time limit.
    resolver
        Gives the addresses of a host name (default: the system's resolver).
    transfer
        The call's clock; default one of ``policy.callback_timeout_s`` seconds.

    Returns
    -------
    int
        The HTTP status of the answer.

    Raises
    ------
    UnsafeURLError
        The URL is refused by ``policy``.
    FetchError
        No answer: connection failure, timeout, or a redirect.

    Examples
    --------
    What the server does when a job ends, here to a receiver on a loopback port (allowed by
    the policy, for the example) that answers 204:

    >>> import threading
    >>> from http.server import BaseHTTPRequestHandler, HTTPServer
    >>> from posekit.server.netguard import UrlPolicy, post_json
    >>> received = []
    >>> class Receiver(BaseHTTPRequestHandler):
    ...     def do_POST(self):
    ...         received.append(self.rfile.read(int(self.headers["Content-Length"])))
    ...         self.send_response(204)
    ...         self.end_headers()
    ...     def log_message(self, *args):
    ...         pass
    >>> server = HTTPServer(("127.0.0.1", 0), Receiver)
    >>> threading.Thread(target=server.handle_request).start()  # one request
    >>> post_json(f"http://127.0.0.1:{server.server_port}/done", b'{"status": "success"}',
    ...           policy=UrlPolicy(allow_private=True, ports=None))
    204
    >>> received
    [b'{"status": "success"}']
    >>> server.server_close()
    """
    checked = check_url(url, policy=policy, resolver=resolver)
    if transfer is None:
        transfer = Transfer("the callback", total_s=policy.callback_timeout_s)
    with transfer:
        resp, pool = _request(
            checked,
            "POST",
            policy,
            transfer,
            body=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            resp.read1(_CHUNK, decode_content=False)  # a little of the answer; it does not matter
            return int(resp.status)
        except (urllib3.exceptions.HTTPError, OSError):
            return int(resp.status)
        finally:
            resp.release_conn()
            pool.close()
