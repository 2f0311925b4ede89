#!/usr/bin/env python3
"""Pruned tokenizer fixtures from llama.cpp's vocabulary test files.

llama.cpp keeps, under models/, GGUF files that hold only a tokenizer
(ggml-vocab-NAME.gguf) and test pairs beside them (NAME.gguf.inp: texts
separated by "\\n__ggml_vocab_test__\\n"; NAME.gguf.out: one line of ids per
text). This script reads them with the checkout's gguf-py package and writes,
per vocabulary, tests/data/tokenizers/NAME.json: the test pairs and only the
vocabulary entries and merges that those texts can reach (see the README for
why dropping the others changes no result). With --tokenizer-0 (llama.cpp's
test-tokenizer-0 binary) it also tokenizes texts of ours and adds them as
pairs. For the pre-tokenizers whose vocabularies the checkout lacks it writes
pretokenizer_splits.json, splitting texts with the published patterns through
Python's `regex` module (Debian: python3-regex).

  make_tokenizer_fixtures.py --llama-cpp DIR [--tokenizer-0 BIN] [--out DIR]
  make_tokenizer_fixtures.py --llama-cpp DIR --check TEST_BINARY
      writes unpruned fixtures to a temporary directory and runs TEST_BINARY
      (build/release/tests/tokenizer_gguf_tests) on them and on --out.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import types

VOCABS = ['llama-spm', 'phi-3', 'gpt-2', 'mpt', 'starcoder', 'refact', 'falcon',
          'deepseek-coder', 'deepseek-llm']
SEPARATOR = '\n__ggml_vocab_test__\n'

# Texts of ours, tokenized by llama.cpp when --tokenizer-0 is given: things
# the upstream pairs do not reach (bad UTF-8, specials in text, long runs).
EXTRA_TEXTS = [
    b'It\'S ALL\'LL \'VE \'re \'M done',
    b'\xff\xfe bad \xc3 bytes \xe2\x82 \xf0\x9f\x98',
    b'tabs\t\t\tand\r\n\r\nnewlines \n\n  \n',
    b'1234567890 12 3 \xd9\xa3\xd9\xa4\xd9\xa5 \xe2\x85\xa7 \xc2\xbd',
    b'\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xea\xb0\x80\xeb\x82\x98 \xe3\x81\x8b\xe3\x81\xaa',
    b'price: $4.99!!! (approx.) <tag attr="x"> a+b=c ^_^ `code` ~~ |pipe|',
    b'\xe2\x80\x83em space\xe3\x80\x80ideographic\xc2\xa0nbsp \xe2\x80\xa8line',
    b'<s> </s> <unk> <|endoftext|> <|end|> <|user|> <|im_start|>',
    b'    def f(x):\n        return x  # comment\n',
    b'\xe2\x96\x81 lower one eighth \xe2\x96\x81\xe2\x96\x81 spaces   ',
    b'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    b'\xf0\x9f\xa6\x99\xf0\x9f\xa6\x99\xf0\x9f\x98\x80\xe2\x9d\xa4\xef\xb8\x8f emoji',
]

# Pre-tokenizers llama.cpp names whose vocabularies the checkout lacks, as
# sequences of published patterns (each cuts the pieces the previous left).
GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
SPLIT_PATTERNS = {
    'llama-bpe': [r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
    'qwen2': [r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
              r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
    'smollm': [r'\p{N}', GPT2],
    'gpt-2': [GPT2],
}
SPLIT_TEXTS_FROM = {'llama-bpe': 'llama-bpe', 'qwen2': 'qwen2', 'smollm': 'starcoder',
                    'gpt-2': 'gpt-2'}
TRICKY_SPLITS = [
    "I'M HERE, y'all'Ll SEE'S 'RE 'Ve",
    "123456789 1 22 333 4444 ١٢٣٤ Ⅻ ½",
    "  leading and trailing  \t\n",
    "line\r\n\r\n  \n\tnext",
    " !!! ...? ¿¡ «quoted» — dash",
    "mixed日本語text한국어and русский",
    "a\u00a0b\u2003c\u3000d\u2028e",
    "emoji 🦙🦙 ❤️ and tabs\t\tx",
    "caf\u0065\u0301 na\u00efve",
    "   ",
    "\n",
    "x",
]


def import_gguf(llama_cpp):
    # gguf-py imports sentencepiece for vocabulary conversion only.
    if 'sentencepiece' not in sys.modules:
        stub = types.ModuleType('sentencepiece')
        stub.SentencePieceProcessor = None
        sys.modules['sentencepiece'] = stub
    sys.path.insert(0, os.path.join(llama_cpp, 'gguf-py'))
    import gguf  # noqa: E402
    return gguf


def read_vocab(gguf, path):
    reader = gguf.GGUFReader(path)
    fields = reader.fields

    def scalar(key, default=None):
        f = fields.get(key)
        if f is None:
            return default
        if f.types[0] == gguf.GGUFValueType.STRING:
            return bytes(f.parts[f.data[0]]).decode('utf-8')
        return f.parts[f.data[0]].tolist()[0]

    def array(key):
        f = fields.get(key)
        if f is None:
            return None
        if f.types[1] == gguf.GGUFValueType.STRING:
            return [bytes(f.parts[i]) for i in f.data]
        return [f.parts[i].tolist()[0] for i in f.data]

    return {
        'model': scalar('tokenizer.ggml.model'),
        'pre': scalar('tokenizer.ggml.pre', ''),
        'name': scalar('general.name', ''),
        'tokens': array('tokenizer.ggml.tokens'),
        'scores': array('tokenizer.ggml.scores'),
        'types': array('tokenizer.ggml.token_type'),
        'merges': array('tokenizer.ggml.merges') or [],
        'bos_id': scalar('tokenizer.ggml.bos_token_id', -1),
        'eos_id': scalar('tokenizer.ggml.eos_token_id', -1),
        'add_bos': scalar('tokenizer.ggml.add_bos_token'),
        'add_eos': scalar('tokenizer.ggml.add_eos_token'),
        'add_space_prefix': scalar('tokenizer.ggml.add_space_prefix'),
    }


def read_pairs(base):
    with open(base + '.inp', 'rb') as f:
        texts = f.read().split(SEPARATOR.encode())
    with open(base + '.out', encoding='utf-8') as f:
        outs = [[int(x) for x in line.split()] for line in f.read().split('\n')]
    outs = outs[:len(texts)]
    assert len(texts) == len(outs), base
    return list(zip(texts, outs))


def tokenize_with_llama_cpp(binary, vocab_path, text):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, 'text.txt')
        with open(path, 'wb') as f:
            f.write(text)
        env = dict(os.environ, LD_LIBRARY_PATH=os.path.dirname(binary))
        subprocess.run([binary, vocab_path, path], check=True, capture_output=True, env=env)
        with open(path + '.tokcpp', encoding='utf-8') as f:
            return [int(x) for x in f.read().split()]


BYTE_TO_CP = {}


def code_points(data):
    """UTF-8 decoding as llama.cpp's tokenizers do it: a byte that does not
    start a complete sequence (lead byte, then continuation bytes) becomes
    U+FFFD alone; no check for overlong forms or surrogates."""
    out, i = [], 0
    while i < len(data):
        b = data[i]
        n = 1 if b < 0x80 else 2 if b & 0xE0 == 0xC0 else 3 if b & 0xF0 == 0xE0 else \
            4 if b & 0xF8 == 0xF0 else 0
        seq = data[i:i + n] if n else b''
        if n == 1:
            out.append(b)
        elif n and len(seq) == n and all(c & 0xC0 == 0x80 for c in seq[1:]):
            cp = b & (0xFF >> (n + 1))
            for c in seq[1:]:
                cp = (cp << 6) | (c & 0x3F)
            if cp > 0x10FFFF:
                out.append(0xFFFD)
                n = 1
            else:
                out.append(cp)
        else:
            out.append(0xFFFD)
            n = 1
        i += n
    return out


def byte_level(data):
    """GPT-2's byte-level text: bad UTF-8 bytes first become U+FFFD."""
    if not BYTE_TO_CP:
        n = 0
        for b in range(256):
            printable = 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or b >= 0xAE
            BYTE_TO_CP[b] = b if printable else 256 + n
            n += 0 if printable else 1
    text = ''.join(chr(c) for c in code_points(data)).encode('utf-8', errors='surrogatepass')
    return ''.join(chr(BYTE_TO_CP[b]) for b in text).encode('utf-8')


def spm_escaped(data):
    return b'\xe2\x96\x81' + data.replace(b' ', b'\xe2\x96\x81')


def substrings(data, max_len):
    out = set()
    for i in range(len(data)):
        for j in range(i + 1, min(len(data), i + max_len) + 1):
            out.add(data[i:j])
    return out


def prune(vocab, texts, outputs):
    """Ids and merge ranks the texts can reach; see the README."""
    tokens = vocab['tokens']
    max_len = max(len(t) for t in tokens)
    by_string = {}
    for i, t in enumerate(tokens):
        by_string.setdefault(t, i)
    spm = vocab['model'] == 'llama'
    reachable = set()
    for text in texts:
        reachable |= substrings(spm_escaped(text) if spm else byte_level(text), max_len)
        reachable |= {bytes([b]) for b in text}
        reachable |= {b'<0x%02X>' % b for b in text}
    keep = {by_string[s] for s in reachable if s in by_string}
    for ids in outputs:
        keep |= set(ids)
    # Special tokens: user-defined ones are cut out of any text; keep those
    # that occur in a text, and every control token (cheap, few).
    for i, t in enumerate(tokens):
        kind = vocab['types'][i] if vocab['types'] else 1
        if kind == 4 and any(t in text for text in texts):
            keep.add(i)
        if kind == 3:
            keep.add(i)
    ranks = []
    for rank, m in enumerate(vocab['merges']):
        space = m.find(b' ', 1)
        if space < 0:
            continue
        left, right = m[:space], m[space + 1:]
        if left + right in reachable and left in by_string and right in by_string:
            ranks.append(rank)
            keep.update((by_string[left], by_string[right]))
    return sorted(keep), ranks


def json_string(b):
    try:
        return b.decode('utf-8')
    except UnicodeDecodeError:
        return {'hex': b.hex()}


def fixture(name, vocab, pairs, keep_ids, keep_ranks, revision):
    types_ = vocab['types']
    scores = vocab['scores']
    return {
        'source': f'ggml-vocab-{name}.gguf',
        'llama_cpp_revision': revision,
        'model': vocab['model'],
        'pre': vocab['pre'],
        'name': vocab['name'],
        'vocab_size': len(vocab['tokens']),
        'merge_count': len(vocab['merges']),
        'bos_id': vocab['bos_id'],
        'eos_id': vocab['eos_id'],
        'add_bos': vocab['add_bos'],
        'add_eos': vocab['add_eos'],
        'add_space_prefix': vocab['add_space_prefix'],
        'tokens': [[i, json_string(vocab['tokens'][i]), scores[i] if scores else 0.0,
                    types_[i] if types_ else 1] for i in keep_ids],
        'merges': [[r, json_string(vocab['merges'][r])] for r in keep_ranks],
        'tests': [{'text': json_string(t), 'ids': ids} for t, ids in pairs],
    }


def write_json(path, data):
    with open(path, 'w', encoding='utf-8') as f:
        json.dump(data, f, ensure_ascii=False, separators=(',', ':'))
        f.write('\n')


def split_with(patterns, text):
    import regex
    pieces = [text]
    for pattern in patterns:
        compiled = regex.compile(pattern)
        out = []
        for piece in pieces:
            pos = 0
            for m in compiled.finditer(piece):
                if m.start() > pos:
                    out.append(piece[pos:m.start()])
                out.append(m.group())
                pos = m.end()
            if pos < len(piece):
                out.append(piece[pos:])
        pieces = out
    return pieces


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--llama-cpp', required=True, help='llama.cpp checkout')
    ap.add_argument('--tokenizer-0', help="llama.cpp's test-tokenizer-0, for our extra texts")
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', '..', 'tests',
                                                  'data', 'tokenizers'))
    ap.add_argument('--check', help='tokenizer_gguf_tests binary: run it on unpruned fixtures')
    args = ap.parse_args()
    gguf = import_gguf(args.llama_cpp)
    revision = subprocess.run(['git', '-C', args.llama_cpp, 'rev-parse', 'HEAD'],
                              capture_output=True, text=True, check=True).stdout.strip()
    models = os.path.join(args.llama_cpp, 'models')
    os.makedirs(args.out, exist_ok=True)
    full_dir = tempfile.mkdtemp(prefix='tokenizer-fixtures-') if args.check else None
    for name in VOCABS:
        path = os.path.join(models, f'ggml-vocab-{name}.gguf')
        vocab = read_vocab(gguf, path)
        pairs = read_pairs(path)
        if args.tokenizer_0:
            pairs += [(t, tokenize_with_llama_cpp(args.tokenizer_0, path, t)) for t in EXTRA_TEXTS]
        else:
            # Keep the extra pairs an earlier run added.
            old = os.path.join(args.out, f'{name}.json')
            if os.path.exists(old):
                with open(old, encoding='utf-8') as f:
                    upstream = {t for t, _ in pairs}
                    for test in json.load(f)['tests']:
                        t = test['text']
                        t = bytes.fromhex(t['hex']) if isinstance(t, dict) else t.encode('utf-8')
                        if t not in upstream:
                            pairs.append((t, test['ids']))
        keep_ids, keep_ranks = prune(vocab, [t for t, _ in pairs], [ids for _, ids in pairs])
        write_json(os.path.join(args.out, f'{name}.json'),
                   fixture(name, vocab, pairs, keep_ids, keep_ranks, revision))
        if full_dir:
            write_json(os.path.join(full_dir, f'{name}.json'),
                       fixture(name, vocab, pairs, range(len(vocab['tokens'])),
                               range(len(vocab['merges'])), revision))
        print(f'{name}: {len(pairs)} pairs, {len(keep_ids)} of {len(vocab["tokens"])} tokens, '
              f'{len(keep_ranks)} of {len(vocab["merges"])} merges')

    splits = {}
    for pre, patterns in SPLIT_PATTERNS.items():
        texts = [t for t, _ in read_pairs(os.path.join(
            models, f'ggml-vocab-{SPLIT_TEXTS_FROM[pre]}.gguf'))]
        cases = [t.decode('utf-8') for t in texts] + TRICKY_SPLITS
        splits[pre] = [{'text': t, 'words': split_with(patterns, t)} for t in cases]
    write_json(os.path.join(args.out, 'pretokenizer_splits.json'),
               {'llama_cpp_revision': revision, 'patterns': SPLIT_PATTERNS, 'splits': splits})

    if args.check:
        for directory in (full_dir, args.out):
            print(f'checking {directory}')
            env = dict(os.environ, LLMCU_TOKENIZER_FIXTURES=os.path.abspath(directory))
            subprocess.run([args.check, '--gtest_filter=TokenizerFixtures.*'], check=True, env=env)


if __name__ == '__main__':
    main()
