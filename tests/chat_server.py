"""A scripted OpenAI-compatible chat-completions server on loopback, for tests and lessons: real HTTP, no mocks.

    with ChatServer(reply('{"title": ...}'), error(429, 'busy', headers={'Retry-After': '0'})) as srv:
        OpenAIWriter('m', base_url=srv.url)(...)
        srv.requests   # every request: {'path', 'headers' (lower-case names), 'body'}

Each request takes the next item of the script (the last one repeats). An item is `reply(...)`, `error(...)`, or a
function of the request body returning one of those. Streaming requests get server-sent events
(`data: {chunk}` ... `data: [DONE]`), others one JSON completion."""
import json, socket, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

def reply(content: str, *, chunk: int = 24, usage=(120, 40), finish: str = 'stop', delay: float = 0.0) -> dict:
    "A 200 answer with `content`, streamed `chunk` characters at a time; `usage` = (prompt, completion) tokens or None."
    return {'status': 200, 'content': content, 'chunk': chunk, 'usage': usage, 'finish': finish, 'delay': delay}

def error(status: int, message: str, *, headers: dict | None = None, kind: str = 'server_error') -> dict:
    "An error answer in the OpenAI error format."
    return {'status': status, 'message': message, 'headers': headers or {}, 'kind': kind}

def closed_url() -> str:
    "The URL of a loopback port nothing listens on (bound, then closed)."
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    return f'http://127.0.0.1:{port}/v1'

class ChatServer:
    def __init__(self, *script):
        if not script: raise ValueError('give the server at least one scripted answer')
        self.script, self.requests, self._lock = list(script), [], threading.Lock()
        server = self
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get('Content-Length', 0))) or b'{}')
                with server._lock:
                    server.requests.append({'path': self.path, 'headers': {k.lower(): v for k, v in self.headers.items()}, 'body': body})
                    item = server.script.pop(0) if len(server.script) > 1 else server.script[0]
                if self.path.rstrip('/') != '/v1/chat/completions': item = error(404, f'no route {self.path}', kind='not_found')
                if callable(item): item = item(body)
                if item['status'] != 200: return self._json(item['status'], {'error': {'message': item['message'], 'type': item['kind'], 'code': None}}, item['headers'])
                time.sleep(item['delay'])
                text, model, usage = item['content'], body.get('model', 'scripted'), item['usage']
                usage = usage and {'prompt_tokens': usage[0], 'completion_tokens': usage[1], 'total_tokens': sum(usage)}
                base = {'id': 'chatcmpl-test', 'created': int(time.time()), 'model': model}
                if not body.get('stream'):
                    msg = {'role': 'assistant', 'content': text}
                    return self._json(200, {**base, 'object': 'chat.completion', 'usage': usage,
                                            'choices': [{'index': 0, 'message': msg, 'finish_reason': item['finish']}]})
                self.send_response(200)
                self.send_header('Content-Type', 'text/event-stream'); self.send_header('Cache-Control', 'no-cache')
                self.end_headers()
                def send(obj): self.wfile.write(f'data: {json.dumps(obj)}\n\n'.encode()); self.wfile.flush()
                chunk = lambda delta, finish=None: {**base, 'object': 'chat.completion.chunk', 'choices': [{'index': 0, 'delta': delta, 'finish_reason': finish}]}
                send(chunk({'role': 'assistant', 'content': ''}))
                for i in range(0, len(text), item['chunk']): send(chunk({'content': text[i:i + item['chunk']]}))
                send(chunk({}, item['finish']))
                if usage and (body.get('stream_options') or {}).get('include_usage'): send({**base, 'object': 'chat.completion.chunk', 'choices': [], 'usage': usage})
                self.wfile.write(b'data: [DONE]\n\n'); self.wfile.flush()
            def _json(self, status, obj, headers=()):
                data = json.dumps(obj).encode()
                self.send_response(status)
                self.send_header('Content-Type', 'application/json'); self.send_header('Content-Length', str(len(data)))
                for k, v in dict(headers).items(): self.send_header(k, v)
                self.end_headers(); self.wfile.write(data)
        self.httpd = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f'http://127.0.0.1:{self.port}/v1'
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self): self._thread.start(); return self
    def __exit__(self, *exc): self.close()
    def close(self): self.httpd.shutdown(); self.httpd.server_close()
