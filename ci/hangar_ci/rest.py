"""A small JSON-over-HTTPS client on the standard library: the GitHub and Azure DevOps REST
APIs, release downloads.

Why not `requests`: these scripts run on whatever Python the CI runner has, with nothing
installed (docs/adr/0003-ci-scripts-in-python.md).

What it guarantees:

- every failure is an `ApiError` that names the method, the URL without its query, the status
  and the service's own message, never the token;
- redirects are followed by hand, and the `Authorization` header is sent only to the host the
  request was made to (artifact and release downloads redirect to blob storage, which must not
  see the token);
- `paginate` follows `Link: <…>; rel="next"` (GitHub) until it runs out, and refuses a repeated
  link instead of looping.
"""

import json
import urllib.error
import urllib.parse
import urllib.request

USER_AGENT = "hangar-ci"
MAX_REDIRECTS = 5
MAX_PAGES = 1000
TIMEOUT_SECONDS = 60


class ApiError(Exception):
    """A request that did not succeed. `status` is 0 when no HTTP answer came back."""

    def __init__(self, method, url, status, message):
        self.method = method
        self.url = url
        self.status = status
        self.message = message
        where = f"{method} {strip_query(url)}"
        if status:
            super().__init__(f"{where} answered {status}: {message}")
        else:
            super().__init__(f"{where} failed: {message}")


def strip_query(url):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        if not self.body:
            return None
        return json.loads(self.body.decode("utf-8"))


def service_message(body):
    """The service's own words from an error body: GitHub's `message`, Azure DevOps' `message`,
    OAuth's `error_description`; else the start of the text."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        text = body.decode("utf-8", "replace").strip()
        return text[:300] if text else "(empty body)"
    if isinstance(data, dict):
        for key in ("message", "error_description", "error"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value[:500]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return value["message"][:500]
    return json.dumps(data)[:300]


class Client:
    """Requests to one API root with one credential header."""

    def __init__(self, base_url, authorization, extra_headers=None, token_hosts=None):
        """`token_hosts(host) -> bool` says which other hosts may receive the credential
        (Azure DevOps serves pipeline artifacts from its own storage hosts, which need it);
        by default only the host each request was made to."""
        self.base_url = base_url.rstrip("/")
        self.authorization = authorization
        self.extra_headers = dict(extra_headers or {})
        self.token_hosts = token_hosts

    def url(self, path):
        if path.startswith("http://") or path.startswith("https://"):
            return path
        return self.base_url + path

    def request(self, method, path, body=None, content_type="application/json", accept=None):
        url = self.url(path)
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode("utf-8")
        origin = urllib.parse.urlsplit(url).netloc
        for _ in range(MAX_REDIRECTS + 1):
            headers = {"User-Agent": USER_AGENT}
            headers.update(self.extra_headers)
            if accept:
                headers["Accept"] = accept
            if data is not None:
                headers["Content-Type"] = content_type
            # The token goes only to the API's own host (or one the caller trusts with it), never
            # to wherever a download redirects.
            parts = urllib.parse.urlsplit(url)
            trusted = parts.netloc == origin or (
                self.token_hosts is not None and parts.scheme == "https" and self.token_hosts(parts.hostname or "")
            )
            if self.authorization and trusted:
                headers["Authorization"] = self.authorization
            request = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as answer:
                    return Response(answer.status, answer.headers, answer.read())
            except urllib.error.HTTPError as error:
                status = error.code
                payload = error.read()
                if status in (301, 302, 303, 307, 308) and error.headers.get("Location"):
                    url = urllib.parse.urljoin(url, error.headers["Location"])
                    if status == 303:
                        method, data = "GET", None
                    continue
                raise ApiError(method, url, status, service_message(payload)) from None
            except urllib.error.URLError as error:
                raise ApiError(method, url, 0, str(error.reason)) from None
            except (OSError, ValueError) as error:
                raise ApiError(method, url, 0, str(error)) from None
        raise ApiError(method, url, 0, f"more than {MAX_REDIRECTS} redirects")

    def get_json(self, path):
        return self.request("GET", path).json()

    def send_json(self, method, path, body, content_type="application/json"):
        return self.request(method, path, body=body, content_type=content_type).json()

    def paginate(self, path):
        """Every item of a GitHub list endpoint, following `Link: rel="next"`."""
        url = self.url(path)
        seen = set()
        for _ in range(MAX_PAGES):
            seen.add(url)
            response = self.request("GET", url)
            page = response.json()
            if isinstance(page, dict):
                # `GET /repos/{r}/actions/artifacts` wraps its list.
                lists = [v for v in page.values() if isinstance(v, list)]
                page = lists[0] if lists else []
            for item in page or []:
                yield item
            following = next_link(response.headers.get("Link"))
            if not following:
                return
            if following in seen:
                raise ApiError("GET", following, 0, "the next page link repeats a page already read")
            url = following
        raise ApiError("GET", url, 0, f"more than {MAX_PAGES} pages")


def next_link(header):
    """The `rel="next"` target of a `Link` header, or None."""
    if not header:
        return None
    for part in header.split(","):
        section = part.split(";")
        if len(section) < 2:
            continue
        target = section[0].strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for parameter in section[1:]:
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "rel" and "next" in value.strip().strip('"').split():
                return target[1:-1]
    return None
