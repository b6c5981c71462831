"""Shared classification of URLs, hosts and file paths that show where stolen data goes or comes from.

Rule families ask two questions of a string: is it a URL whose host is a *foreign fixed
destination* of a telling kind (a webhook, a paste site, a request catcher, a raw IP...), and
does it name a *credential store* (SSH keys, cloud credentials, browser and Discord storage,
crypto wallets)? Both are answered here once, from suffix sets and patterns, so every family
names the same hosts the same way.

The suffix sets name third-party services that malware uses as drop boxes; they are not lists
of package indexes. A host matches a suffix when it equals it or ends with ``.suffix``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

# -- URL kinds -----------------------------------------------------------------------------

WEBHOOK = "webhook"
PASTE = "paste"
TUNNEL = "tunnel"
MOCK_API = "mock_api"
FILE_HOST = "file_host"
SHORTENER = "shortener"
RAW_IP = "raw_ip"
DYNDNS = "dyndns"

URL_KINDS = (WEBHOOK, PASTE, TUNNEL, MOCK_API, FILE_HOST, SHORTENER, RAW_IP, DYNDNS)

# Kinds whose very use as a hard-coded destination tells something: data sent there is read by
# whoever holds the URL, never by the package's own service.
DROP_KINDS = frozenset({WEBHOOK, PASTE, TUNNEL, MOCK_API, FILE_HOST, RAW_IP, DYNDNS})
# Kinds where a bare GET already leaks (the request itself is the signal: "installed on HOST").
CALLBACK_KINDS = frozenset({WEBHOOK, TUNNEL})

PASTE_SUFFIXES = frozenset({
    "pastebin.com", "paste.ee", "hastebin.com", "hastebin.skyra.pw",
    "ghostbin.com", "ghostbin.co", "rentry.co", "rentry.org", "dpaste.org", "dpaste.com",
    "pastie.org", "controlc.com", "justpaste.it", "paste.rs", "termbin.com", "ix.io",
    "sprunge.us", "privatebin.net", "pastes.dev", "bpa.st", "pastefy.app", "paste.gg",
    "paste2.org", "textbin.net", "snippet.host", "pastelink.net", "pastebin.pl", "hst.sh",
    "paste.centos.org", "katb.in", "nekobin.com", "pastecode.io", "rlim.com",
})  # fmt: skip
TUNNEL_SUFFIXES = frozenset({
    # reverse tunnels exposing an attacker's machine
    "ngrok.io", "ngrok.app", "ngrok-free.app", "ngrok.dev", "ngrok-free.dev", "serveo.net",
    "serveousercontent.com", "loca.lt", "localtunnel.me", "trycloudflare.com", "localhost.run",
    "lhr.life", "lhr.rocks", "pinggy.link", "pinggy.online", "free.pinggy.net", "loclx.io",
    "bore.pub", "telebit.cloud", "portmap.io", "portmap.host", "pagekite.me", "devtunnels.ms",
    "tunnelmole.net", "share.zrok.io", "tunnelto.dev", "localto.net", "ply.gg",
    # request catchers and out-of-band interaction servers
    "pipedream.net", "requestbin.net", "requestbin.com", "webhook.site", "requestcatcher.com",
    "hookbin.com", "postb.in", "ptsv2.com", "ptsv3.com", "requestrepo.com", "interact.sh",
    "oast.fun", "oast.live", "oast.me", "oast.online", "oast.pro", "oast.site", "oastify.com",
    "burpcollaborator.net", "canarytokens.com", "canarytokens.org", "ceye.io", "dnslog.cn",
    "dnslog.link", "dig.pm", "xss.ht", "bxss.in", "eyes.sh", "webhook.cool", "webhookrelay.com",
    "iplogger.org", "iplogger.com", "iplogger.ru", "2no.co", "grabify.link", "blasze.com",
})  # fmt: skip
MOCK_API_SUFFIXES = frozenset({
    "mockapi.io", "beeceptor.com", "jsonbin.io", "npoint.io", "mocky.io", "jsonstorage.net",
    "kvdb.io", "jsonblob.com", "getpantry.cloud", "mockable.io", "extendsclass.com",
    "restdb.io", "jsonkeeper.com", "myjson.online", "api.myjson.com",
    "mockbin.org", "mockbin.io", "jsonserve.com",
})  # fmt: skip
FILE_HOST_SUFFIXES = frozenset({
    "transfer.sh", "anonfiles.com", "anonfile.com", "gofile.io", "file.io", "0x0.st",
    "catbox.moe", "tmpfiles.org", "bashupload.com", "uguu.se", "pixeldrain.com", "filebin.net",
    "temp.sh", "oshi.at", "keep.sh", "bayfiles.com", "anonymfile.com", "letsupload.cc",
    "filetransfer.io", "wetransfer.com", "sendspace.com", "ufile.io", "tempsend.com",
    "filedropper.com", "x0.at", "qu.ax", "siasky.net",
})  # fmt: skip
SHORTENER_SUFFIXES = frozenset({
    "bit.ly", "tinyurl.com", "is.gd", "goo.gl", "t.co", "ow.ly", "cutt.ly", "rb.gy",
    "shorturl.at", "tiny.cc", "rebrand.ly", "bit.do", "v.gd", "t.ly", "s.id", "u.to",
    "clck.ru", "buff.ly", "shorte.st", "adf.ly", "tiny.one", "urlz.fr", "lnkd.in", "bl.ink",
    "short.io", "surl.li", "shrtco.de", "gg.gg", "qr.ae",
})  # fmt: skip
DYNDNS_SUFFIXES = frozenset({
    "duckdns.org", "ddns.net", "no-ip.org", "no-ip.biz", "no-ip.info", "no-ip.com", "noip.com",
    "hopto.org", "zapto.org", "sytes.net", "servebeer.com", "serveftp.com", "myftp.org",
    "myftp.biz", "myvnc.com", "redirectme.net", "servehttp.com", "3utilities.com",
    "bounceme.net", "freeddns.org", "dynu.net", "dynu.com", "dyndns.org", "dyndns.info",
    "dynv6.net", "mooo.com", "chickenkiller.com", "us.to", "ddns.me", "dns.army", "ydns.eu",
    "linkpc.net", "ddnsfree.com", "ddnsking.com", "3322.org", "dynamic-dns.net", "hldns.ru",
    "dnsfor.me", "webhop.me", "giize.com", "gleeze.com", "kozow.com", "loseyourip.com",
    "ooguy.com", "theworkpc.com", "casacam.net", "accesscam.org", "camdvr.org", "duckdns.com",
})  # fmt: skip

_SUFFIX_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    (TUNNEL, TUNNEL_SUFFIXES),
    (PASTE, PASTE_SUFFIXES),
    (MOCK_API, MOCK_API_SUFFIXES),
    (FILE_HOST, FILE_HOST_SUFFIXES),
    (DYNDNS, DYNDNS_SUFFIXES),
    (SHORTENER, SHORTENER_SUFFIXES),
)

# Webhook endpoints are told by host *and* path: the same hosts serve ordinary pages.
_WEBHOOK_PATHS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = (
    (re.compile(r"(^|\.)discord(app)?\.com$"), re.compile(r"^/api/(v\d+/)?webhooks/")),
    (re.compile(r"^hooks\.slack\.com$"), re.compile(r"^/(services|workflows|triggers)/")),
    (re.compile(r"(^|\.)webhook\.office\.com$"), re.compile(r"^/webhook")),
    (re.compile(r"^outlook\.office(365)?\.com$"), re.compile(r"^/webhook")),
    (re.compile(r"^api\.telegram\.org$"), re.compile(r"^/(file/)?bot")),
    (re.compile(r"\.logic\.azure\.com$"), re.compile(r"/workflows/")),
)
_DISCORD_CDN = re.compile(r"^(cdn\.discordapp\.com|media\.discordapp\.net)$")

URL_RE = re.compile(r"""(?i)\b(?:https?|wss?|ftp)://[^\s'"<>`\\{}|^]+""")
_TRAILING = ".,;:!?)]}'\""

# Documentation ranges are not "private", but they are reserved and never real destinations;
# they count as public here so that rule fixtures can use them (RFC 5737 / RFC 3849).
_DOC_NETS = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


# Public DNS resolvers: raw IPs all the same, but code talks to them to resolve names or to
# find its own address (`s.connect(("8.8.8.8", 80))`), not to hand them data; send rules
# (DOU510/511) treat them as ordinary hosts.
PUBLIC_RESOLVERS = frozenset({"8.8.8.8", "8.8.4.4", "1.1.1.1", "1.0.0.1", "9.9.9.9", "149.112.112.112",
                              "208.67.222.222", "208.67.220.220", "2001:4860:4860::8888",
                              "2001:4860:4860::8844", "2606:4700:4700::1111"})  # fmt: skip


def find_urls(text: str) -> list[str]:
    """Every http(s)/ws/ftp URL in ``text``, in order, without trailing punctuation."""
    out = []
    for m in URL_RE.finditer(text):
        url = m.group(0).rstrip(_TRAILING)
        if len(url) > len(m.group(0).split("://", 1)[0]) + 3:
            out.append(url)
    return out


def url_host(url: str) -> str | None:
    """Lower-case host of a URL (IPv6 without brackets), or None when it has none."""
    if "://" not in url:
        url = "//" + url
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def is_public_ip(host: str) -> bool:
    """True for an IP literal that routes on the internet (or sits in a documentation range)."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if any(ip in net for net in _DOC_NETS):
        return True
    return ip.is_global and not ip.is_multicast


def _suffix_match(host: str, suffixes: frozenset[str]) -> bool:
    if host in suffixes:
        return True
    parts = host.split(".")
    return any(".".join(parts[i:]) in suffixes for i in range(1, len(parts) - 1))


@lru_cache(maxsize=4096)
def host_kind(host: str) -> str | None:
    """Kind of a bare host name (no path): one of :data:`URL_KINDS` other than webhook, or None."""
    host = host.rstrip(".").lower()
    if not host:
        return None
    if is_public_ip(host):
        return RAW_IP
    for kind, suffixes in _SUFFIX_KINDS:
        if _suffix_match(host, suffixes):
            return kind
    return None


def url_kind(url: str) -> str | None:
    """What kind of drop box a URL points at (see :data:`URL_KINDS`), or None for ordinary hosts.

    Accepts a bare ``host/path`` too, since malware often strips the scheme to dodge scanners.
    """
    host = url_host(url)
    if not host:
        return None
    try:
        path = urlsplit(url if "://" in url else "//" + url).path or "/"
    except ValueError:
        path = "/"
    for host_re, path_re in _WEBHOOK_PATHS:
        if host_re.search(host) and path_re.search(path):
            return WEBHOOK
    if _DISCORD_CDN.match(host) and path.startswith("/attachments/"):
        return FILE_HOST
    return host_kind(host)


# -- credential stores and other sensitive paths -------------------------------------------

SSH = "ssh"
CLOUD = "cloud-credentials"
TOKENS = "tool-tokens"
SYSTEM = "system-accounts"
KEYCHAIN = "keychain"
BROWSER = "browser"
DISCORD = "discord"
WALLET = "wallet"


@dataclass(frozen=True, slots=True)
class SensitivePath:
    """One pattern for a credential store: what it is (``kind``) and a reviewer's label."""

    kind: str
    label: str
    pattern: re.Pattern[str]


def _p(kind: str, label: str, regex: str) -> SensitivePath:
    return SensitivePath(kind, label, re.compile(regex, re.IGNORECASE))


# Patterns are matched against path text with backslashes turned into slashes; a path split over
# ``os.path.join`` arguments is joined with "/" by the callers before matching.
SENSITIVE_PATHS: tuple[SensitivePath, ...] = (
    _p(SSH, "SSH directory", r"(^|[/~])\.ssh(/|$)"),
    _p(SSH, "SSH private key", r"(^|/)id_(rsa|dsa|ecdsa|ed25519)$"),
    _p(CLOUD, "AWS credentials", r"\.aws/(credentials|config)$|(^|/)\.aws/?$"),
    _p(
        CLOUD,
        "Google Cloud credentials",
        r"gcloud/(credentials\.db|access_tokens\.db|application_default_credentials\.json|legacy_credentials)",
    ),
    _p(CLOUD, "Azure credentials", r"\.azure/(accessTokens\.json|msal_token_cache)"),
    _p(TOKENS, "Git credentials", r"(^|/)\.git-credentials$"),
    _p(TOKENS, ".netrc", r"(^|/)[._]netrc$"),
    _p(TOKENS, ".pypirc", r"(^|/)\.pypirc$"),
    _p(TOKENS, ".npmrc", r"(^|/)\.npmrc$"),
    _p(TOKENS, "Docker credentials", r"\.docker/config\.json$"),
    _p(TOKENS, "Kubernetes config", r"\.kube/config$"),
    _p(TOKENS, "GitHub CLI token", r"gh/hosts\.yml$"),
    _p(SYSTEM, "/etc/passwd", r"^/etc/passwd$"),
    _p(SYSTEM, "/etc/shadow", r"^/etc/(g)?shadow$"),
    _p(KEYCHAIN, "macOS keychain", r"Library/Keychains|\.keychain(-db)?$"),
    _p(KEYCHAIN, "GNOME keyring", r"\.local/share/keyrings"),
    # browsers: the password, cookie and key stores of Chromium-family and Firefox profiles
    _p(BROWSER, "browser saved passwords (Login Data)", r"(^|/)Login Data( For Account)?$"),
    _p(BROWSER, "browser cookies", r"(^|/)(Network/)?Cookies$|(^|/)cookies\.sqlite$"),
    _p(BROWSER, "browser master key (Local State)", r"(^|/)Local State$"),
    _p(BROWSER, "Firefox saved passwords", r"(^|/)(logins\.json|key[34]\.db|signons\.sqlite)$"),
    _p(BROWSER, "browser card/autofill data (Web Data)", r"(^|/)Web Data$"),
    _p(
        BROWSER,
        "browser profile folder",
        r"(Google/Chrome|Microsoft/Edge|BraveSoftware/Brave-Browser|Opera Software|Yandex/YandexBrowser|Vivaldi|Chromium)/User Data|Mozilla/Firefox/Profiles",
    ),
    # Discord: its token sits in the Local Storage leveldb of the desktop app or a browser
    _p(
        DISCORD,
        "Discord local storage",
        r"(discord|discordcanary|discordptb|Lightcord)/Local Storage",
    ),
    _p(DISCORD, "Local Storage leveldb", r"Local Storage/leveldb"),
    # crypto wallets
    _p(WALLET, "MetaMask extension storage", r"nkbihfbeogaeaoehlefnkodbefgpgknn"),
    _p(WALLET, "Phantom extension storage", r"bfnaelmomeimhlpmgjnjophhpkkoljpa"),
    _p(WALLET, "Coinbase Wallet extension storage", r"hnfanknocfeofbddgcijnmhnfnkdnaad"),
    _p(WALLET, "Binance Wallet extension storage", r"fhbohimaelbohpjbbldcngcnapndodjp"),
    _p(WALLET, "TronLink extension storage", r"ibnejdfjmmkpcnlpebklmnkoeoihofec"),
    _p(WALLET, "Exodus wallet", r"Exodus/(exodus\.wallet|Local Storage)|(^|/)exodus\.wallet"),
    _p(WALLET, "Electrum wallet", r"Electrum(-\w+)?/wallets|(^|/)\.electrum"),
    _p(WALLET, "Atomic wallet", r"atomic/Local Storage"),
    _p(WALLET, "Bitcoin Core wallet", r"(^|/)wallet\.dat$"),
    _p(WALLET, "Ethereum keystore", r"Ethereum/keystore"),
    _p(WALLET, "Solana keypair", r"(^|/)\.config/solana/id\.json$|solana/id\.json$"),
    _p(
        WALLET,
        "desktop wallet folder",
        # a folder name alone is a word ("Guarda" is also a town): a separator must be there
        r"/(Armory|Bytecoin|Coinomi|Guarda|Jaxx(/Local Storage| Liberty)|Zcash|WalletWasabi|"
        r"Monero/wallets|com\.liberty\.jaxx)(/|$)|^(Armory|Bytecoin|Coinomi|Guarda|Zcash|WalletWasabi)/",
    ),
)

_SENSITIVE_QUICK = re.compile(
    r"ssh|id_|aws|gcloud|azure|credential|netrc|pypirc|npmrc|docker|kube|hosts\.yml|passwd|"
    r"shadow|keychain|keyring|login|cookie|local state|logins|key[34]|signons|web data|user data|"
    r"firefox|local storage|leveldb|[a-p]{32}|exodus|electrum|atomic|wallet|ethereum|solana|"
    r"armory|bytecoin|coinomi|guarda|jaxx|zcash|monero",
    re.IGNORECASE,
)


def normalise_path(text: str) -> str:
    """Path text with backslashes as slashes and duplicate slashes folded."""
    text = text.replace("\\", "/")
    return re.sub(r"/{2,}", "/", text)


def sensitive_paths(text: str) -> list[SensitivePath]:
    """The credential stores a piece of path text names (empty for ordinary paths)."""
    if not text or len(text) > 4096 or not _SENSITIVE_QUICK.search(text):
        return []
    norm = normalise_path(text).strip()
    return [sp for sp in SENSITIVE_PATHS if sp.pattern.search(norm)]


# -- public-IP lookup services (system fingerprinting) -------------------------------------

IP_LOOKUP_SUFFIXES = frozenset({
    "ipify.org", "ipinfo.io", "ifconfig.me", "ifconfig.co", "icanhazip.com", "ident.me",
    "ip-api.com", "ipapi.co", "checkip.amazonaws.com", "checkip.dyndns.org", "myip.com",
    "api.myip.com", "wtfismyip.com", "ipecho.net", "ipwho.is", "ipwhois.app", "ip.sb",
    "api.seeip.org", "myexternalip.com", "ipgeolocation.io", "geolocation-db.com",
    "whatismyipaddress.com", "l2.io", "trackip.net", "freegeoip.app", "extreme-ip-lookup.com",
})  # fmt: skip


def is_ip_lookup(url: str) -> bool:
    """True for the URL of a "what is my public IP" service."""
    host = url_host(url)
    return bool(host) and _suffix_match(host, IP_LOOKUP_SUFFIXES)  # type: ignore[arg-type]
