"""The outbound URL check (SSRF guard), tested directly: no connection is ever made here, and
names are resolved by a fake resolver (or /etc/hosts for "localhost")."""

from __future__ import annotations

import pytest

from posekit.server.netguard import UnsafeURLError, UrlPolicy, address_problem, check_url

REFUSED = [
    "127.0.0.1",
    "127.255.255.254",
    "::1",
    "0.0.0.0",
    "::",
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "192.168.255.255",
    "169.254.169.254",  # cloud metadata
    "169.254.0.1",  # link-local
    "fe80::1",
    "fe80::1%1",
    "fc00::1",
    "fd12:3456::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "100.64.0.1",  # carrier-grade NAT
    "100.100.100.200",  # Alibaba metadata
    "224.0.0.1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:169.254.169.254",
    "::ffff:10.1.2.3",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "198.18.0.1",  # benchmarking
    "192.0.2.1",  # documentation
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::127.0.0.1",  # IPv4-compatible IPv6 (deprecated)
    "64:ff9b:1::7f00:1",  # local-use NAT64 (RFC 8215)
    "64:ff9b:1::808:808",
    "192.0.0.192",  # IETF protocol assignments
    "192.0.0.8",
]
ALLOWED = ["8.8.8.8", "93.184.216.34", "1.1.1.1", "172.32.0.1", "172.15.255.255", "2606:4700::1111"]


@pytest.mark.parametrize("ip", REFUSED)
def test_address_problem_refuses_non_public(ip: str) -> None:
    assert address_problem(ip) is not None


@pytest.mark.parametrize("ip", ALLOWED)
def test_address_problem_allows_public(ip: str) -> None:
    assert address_problem(ip) is None


@pytest.mark.parametrize(
    ("ip", "word"),
    [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"),
     ("169.254.169.254", "metadata"), ("fe80::1", "link-local"), ("::ffff:127.0.0.1", "loopback")],
)  # fmt: skip
def test_address_problem_says_why(ip: str, word: str) -> None:
    assert word in address_problem(ip)


def test_allow_private_lets_loopback_and_private_through_but_never_metadata() -> None:
    for ip in ("127.0.0.1", "::1", "10.0.0.1", "192.168.1.1", "172.16.0.1", "169.254.1.1"):
        assert address_problem(ip, allow_private=True) is None
    for ip in (
        "169.254.169.254",
        "fd00:ec2::254",
        "::ffff:169.254.169.254",
        "0.0.0.0",
        "224.0.0.1",
    ):
        assert address_problem(ip, allow_private=True) is not None


def fake_resolver(table: dict[str, list[str]]):
    calls = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append((host, port))
        if host not in table:
            raise OSError(f"unknown host {host}")
        return table[host]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


@pytest.mark.parametrize(
    "addresses",
    [["127.0.0.1"], ["10.0.0.5"], ["169.254.169.254"], ["::1"], ["93.184.216.34", "192.168.0.10"],
     ["2606:4700::1111", "fe80::1"]],
)  # fmt: skip
def test_hostnames_resolving_to_refused_addresses_are_refused(addresses: list[str]) -> None:
    resolve = fake_resolver({"evil.example": addresses})
    with pytest.raises(UnsafeURLError, match="not allowed"):
        check_url("http://evil.example/video.mp4", resolver=resolve)
    assert resolve.calls == [("evil.example", 80)]


def test_public_hostname_is_allowed_and_keeps_every_address() -> None:
    resolve = fake_resolver({"cdn.example": ["93.184.216.34", "2606:4700::1111"]})
    c = check_url("https://cdn.example/a/b.mp4?x=1&y=2", resolver=resolve)
    assert (c.scheme, c.host, c.port, c.target) == ("https", "cdn.example", 443, "/a/b.mp4?x=1&y=2")
    assert c.addresses == ("93.184.216.34", "2606:4700::1111")
    assert c.host_header == "cdn.example"


def test_localhost_is_refused_through_the_real_resolver() -> None:
    # /etc/hosts answers; no DNS query leaves the machine
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://localhost/x.mp4")
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://127.0.0.1/x.mp4")
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://[::1]/x.mp4")
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://2130706433/x.mp4")  # 127.0.0.1 as one decimal number
    with pytest.raises(UnsafeURLError, match="loopback"):
        check_url("http://0x7f.1/x.mp4")


@pytest.mark.parametrize(
    ("url", "match"),
    [
        ("ftp://cdn.example/x", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://cdn.example/", "only http and https"),
        ("cdn.example/x.mp4", "only http and https"),
        ("http:///x.mp4", "no host"),
        ("http://cdn.example:8080/x", "port 8080 is not allowed"),
        ("https://cdn.example:22/x", "port 22 is not allowed"),
        ("http://user:pw@cdn.example/x", "user names or passwords"),
        ("http://cdn.example:99999/x", "not a valid URL"),
        ("", "empty"),
        ("http://nowhere.example/x", "cannot resolve"),
    ],
)
def test_bad_urls_are_refused(url: str, match: str) -> None:
    resolve = fake_resolver({"cdn.example": ["93.184.216.34"]})
    with pytest.raises(UnsafeURLError, match=match):
        check_url(url, resolver=resolve)


def test_ports_policy() -> None:
    resolve = fake_resolver({"cdn.example": ["93.184.216.34"]})
    assert (
        check_url("http://cdn.example:8080/x", policy=UrlPolicy(ports=None), resolver=resolve).port
        == 8080
    )
    c = check_url("http://cdn.example:8080/x", policy=UrlPolicy(ports=(8080,)), resolver=resolve)
    assert c.host_header == "cdn.example:8080"
    assert check_url("http://cdn.example/x", resolver=resolve).port == 80


# -- fetching: connects to the checked address, no redirects, timeouts (loopback only) ------------
LOOP = UrlPolicy(allow_private=True, ports=None, connect_timeout_s=2, read_timeout_s=0.5)


def flipping_resolver(*answers: list[str]):
    """Answers differently on each call, as a DNS-rebinding attacker's name server would."""
    calls = []

    def resolve(host: str, port: int) -> list[str]:
        calls.append(host)
        return answers[min(len(calls) - 1, len(answers) - 1)]

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


def test_fetch_connects_to_the_address_that_was_checked(tmp_path) -> None:
    from posekit.server.netguard import fetch_to_file
    from tests._server import LoopbackWeb

    with LoopbackWeb() as web:
        web.serve("/v.mp4", b"video bytes")
        # a second lookup would answer 127.0.0.2, where nothing listens: the fetch would fail
        resolve = flipping_resolver(["127.0.0.1"], ["127.0.0.2"])
        n = fetch_to_file(f"http://rebind.test:{web.port}/v.mp4", tmp_path / "v", max_bytes=100,
                          policy=LOOP, resolver=resolve)  # fmt: skip
        assert n == 11 and (tmp_path / "v").read_bytes() == b"video bytes"
        assert resolve.calls == ["rebind.test"]  # resolved once, used for the check and the connect
        assert web.gets[-1][1]["Host"] == f"rebind.test:{web.port}"
        # refused when the answer is loopback and the policy does not allow it
        with pytest.raises(UnsafeURLError, match="loopback"):
            fetch_to_file(f"http://rebind.test:{web.port}/v.mp4", tmp_path / "w", max_bytes=100,
                          policy=UrlPolicy(ports=None), resolver=flipping_resolver(["127.0.0.1"]))  # fmt: skip
        assert not (tmp_path / "w").exists()


def test_fetch_refuses_redirects_sizes_and_slow_servers(tmp_path) -> None:
    import time

    from posekit.server.netguard import FetchError, TooLargeError, fetch_to_file, post_json
    from tests._server import LoopbackWeb

    with LoopbackWeb() as web:
        ok = web.serve("/ok", b"x" * 1000)
        redirect = web.serve("/r", b"", 302, {"Location": ok})
        slow = web.serve("/slow", lambda: time.sleep(2) or b"late")
        n_gets = len(web.gets)
        with pytest.raises(FetchError, match="redirect"):
            fetch_to_file(redirect, tmp_path / "a", max_bytes=10_000, policy=LOOP)
        assert len(web.gets) == n_gets + 1  # the target was never asked
        with pytest.raises(TooLargeError, match="1000 bytes, more than 999"):
            fetch_to_file(ok, tmp_path / "b", max_bytes=999, policy=LOOP)
        t0 = time.monotonic()
        with pytest.raises(FetchError, match=r"(?i)timed? ?out"):
            fetch_to_file(slow, tmp_path / "c", max_bytes=100, policy=LOOP)
        assert time.monotonic() - t0 < 1.5
        assert not any((tmp_path / x).exists() for x in "abc")
        assert post_json(web.url + "/hook", b"{}", policy=LOOP) == 200
        with pytest.raises(FetchError, match="cannot reach"):
            post_json("http://127.0.0.1:9/hook", b"{}", policy=LOOP)  # nothing listens on 9


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for pose.test (openssl command line)."""
    import subprocess

    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=pose.test", "-addext", "subjectAltName=DNS:pose.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def test_https_verifies_the_name_while_connecting_to_the_checked_address(
    tmp_path, certificate
) -> None:
    from dataclasses import replace

    from posekit.server.netguard import FetchError, fetch_to_file
    from tests._server import LoopbackWeb

    cert, _ = certificate
    with LoopbackWeb(tls=certificate) as web:
        web.serve("/v.mp4", b"over tls")
        trusted = replace(LOOP, ca_file=str(cert))
        to_loop = flipping_resolver(["127.0.0.1"])
        url = f"https://pose.test:{web.port}/v.mp4"
        assert (
            fetch_to_file(url, tmp_path / "v", max_bytes=100, policy=trusted, resolver=to_loop) == 8
        )
        assert web.gets[-1][1]["Host"] == f"pose.test:{web.port}"
        with pytest.raises(FetchError, match=r"(?i)certificate"):  # not trusted: system CAs only
            fetch_to_file(url, tmp_path / "w", max_bytes=100, policy=LOOP, resolver=to_loop)
        with pytest.raises(FetchError, match=r"(?i)hostname|certificate"):  # another name
            fetch_to_file(f"https://other.test:{web.port}/v.mp4", tmp_path / "x", max_bytes=100,
                          policy=trusted, resolver=to_loop)  # fmt: skip
