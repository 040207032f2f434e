#!/usr/bin/env python3
"""proxy.py - a TLS front for ledgerd in the tests (not a product part).

Usage: proxy.py BACKEND_URL CERT KEY [CLIENT_CA]
Listens on 127.0.0.1, a free port, with TLS 1.2+ (CERT/KEY); with
CLIENT_CA it requires a client certificate signed by it.  Forwards each
GET to BACKEND_URL and sends the answer back.  Prints the port on stdout,
then serves until killed.
"""
import http.client
import http.server
import ssl
import sys
import urllib.parse

backend = urllib.parse.urlsplit(sys.argv[1])


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        conn = http.client.HTTPConnection(backend.hostname, backend.port,
                                          timeout=30)
        headers = {k: v for k, v in self.headers.items()
                   if k.lower() in ("authorization", "accept")}
        conn.request("GET", self.path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        self.send_response(resp.status)
        for k in ("Content-Type", "Retry-After"):
            if resp.getheader(k):
                self.send_header(k, resp.getheader(k))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        conn.close()

    def log_message(self, *args):
        pass


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.minimum_version = ssl.TLSVersion.TLSv1_2
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
if len(sys.argv) > 4:
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.load_verify_locations(sys.argv[4])
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
