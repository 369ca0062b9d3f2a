"""How well the generated prompts are understood: Whisper base hears the sampled prompts.

Prints one JSON line per sampled prompt (written and heard text, pinyin similarity, audio and
recognition seconds) and a summary line with the mean similarity and the recognition real-time factor
(int8, one CPU thread). ``--before-fix`` renders the same sample the way prompts were spoken before
(espeak-ng ``-v cmn`` on the Chinese characters, 200 wpm) for comparison.

    .venv/bin/python -m bench.prompt_speech [--before-fix]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tempfile
from pathlib import Path

from hotline.settings import Settings
from ivr.position_speech import POSITION_PROMPTS
from ivr.prompts import default_prompt_texts, ensure_prompts, prompt_file
from recordings.asr_model import WhisperZh
from tests.integration.prompt_hearing import ANNOUNCEMENT, SAMPLE, hear, sample_audio


def render_before_fix(sounds: Path, texts: dict[str, str]) -> None:
    """The sample as the ``cmn`` voice spoke it on the characters (Chinese read with English rules)."""
    for prompt in (*SAMPLE, *ANNOUNCEMENT):
        target = prompt_file(sounds, prompt)
        target.parent.mkdir(parents=True, exist_ok=True)
        raw = target.with_suffix(".raw.wav")
        subprocess.run(
            ["espeak-ng", "-v", "cmn", "-s", "200", "-w", str(raw), "--", texts[prompt]], check=True
        )
        argv = ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(target)]
        subprocess.run([*argv, "norm", "-3"], check=True)


def main() -> None:
    """Render the sample, hear it, print JSON lines."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before-fix", action="store_true", help="render with the old cmn voice")
    args = parser.parse_args()
    texts = default_prompt_texts()
    with tempfile.TemporaryDirectory() as tmp:
        sounds = Path(tmp)
        if args.before_fix:
            render_before_fix(sounds, texts)
        else:
            ensure_prompts(sounds, {p: texts[p] for p in (*SAMPLE, *ANNOUNCEMENT)})
        hearings = hear(
            WhisperZh(Settings().cache_dir), sample_audio(sounds, texts | dict(POSITION_PROMPTS), sounds)
        )
    for h in hearings:
        print(
            json.dumps(
                {
                    "prompt": h.prompt,
                    "similarity": round(h.similarity, 3),
                    "written": h.written,
                    "heard": h.heard,
                    "audio_s": round(h.audio_s, 2),
                    "wall_s": round(h.wall_s, 2),
                },
                ensure_ascii=False,
            )
        )
    audio = sum(h.audio_s for h in hearings)
    wall = sum(h.wall_s for h in hearings)
    print(
        json.dumps(
            {
                "voice": "cmn (before fix)" if args.before_fix else "cmn-latn-pinyin",
                "prompts": len(hearings),
                "mean_similarity": round(sum(h.similarity for h in hearings) / len(hearings), 3),
                "min_similarity": round(min(h.similarity for h in hearings), 3),
                "audio_s": round(audio, 1),
                "wall_s": round(wall, 1),
                "rtf": round(wall / audio, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
