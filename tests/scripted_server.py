"""A loopback HTTP server that answers POSTs from a script, for tests of backends that call OpenAI-compatible servers.
Each request takes the next script item (the last one repeats): `error(status, message, headers)`, `raw(data, ctype)`, or an
item the subclass answers in `answer`. Requests are kept in `requests` (path, lower-cased headers, time, and what `parse` read)."""
import json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def error(status, message='boom', headers=None): return {'kind': 'error', 'status': status, 'message': message, 'headers': headers or {}}
def raw(data, ctype='application/json'): return {'kind': 'raw', 'data': data, 'ctype': ctype}

def send(handler, status, data: bytes, ctype: str, headers=()):
    "Write one answer; a client that already hung up is not an error."
    try:
        handler.send_response(status); handler.send_header('Content-Type', ctype); handler.send_header('Content-Length', str(len(data)))
        for k, v in dict(headers).items(): handler.send_header(k, v)
        handler.end_headers(); handler.wfile.write(data)
    except (BrokenPipeError, ConnectionResetError): pass

class ScriptedServer:
    routes = ()                     # paths answered; any other path gets a 404

    def __init__(self, *script):
        self.script, self.requests, self._lock = list(script), [], threading.Lock()
        server = self
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                data = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                req = {'path': self.path, 'headers': {k.lower(): v for k, v in self.headers.items()}, 'time': time.time(),
                       **server.parse(self.headers.get('Content-Type', ''), data)}
                with server._lock:
                    server.requests.append(req)
                    item = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                if self.path not in server.routes: item = error(404, 'no route')
                if item['kind'] == 'error':
                    body = json.dumps({'error': {'message': item['message'], 'type': 'x'}}).encode()
                    return send(self, item['status'], body, 'application/json', item.get('headers', {}))
                if item['kind'] == 'raw': return send(self, 200, item['data'], item['ctype'])
                send(self, 200, *server.answer(item, req))
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler); self.httpd.daemon_threads = True
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}/v1'
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={'poll_interval': 0.05}, daemon=True)

    def parse(self, ctype: str, data: bytes) -> dict: return {'body': json.loads(data or b'{}')}
    def answer(self, item: dict, req: dict) -> tuple: raise NotImplementedError    # (data, content type)
    def __enter__(self): self._thread.start(); return self
    def __exit__(self, *exc): self.httpd.shutdown(); self.httpd.server_close()
