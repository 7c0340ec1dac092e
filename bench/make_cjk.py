"""Generate a Chinese book of N chapters (200 by default) for the chunked-size benchmark
of issue 20: the same every run (seeded), common hanzi and full-width punctuation, a few
Latin words, so each chapter's font subset overlaps the others' as a real book's would.

    python bench/make_cjk.py OUT_DIR [--chapters N] [--paragraphs N]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from book_toml import write_book_toml

# The 500 commonest hanzi are drawn from; a chapter uses a few hundred of them, as prose does.
HANZI = ("的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后"
         "能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分"
         "此心前面又定见只主没公从知长问把机信变最外理正新现两些重被北平物明实电高量文本点月期展进"
         "民力开工政产相关气样业报动社内战部结各水合果数次应全表使己等问题化程度位名接向手资解路期"
         "路区级设调制改交达花历系基管研究先思海收真东运量往体区指叫该何加受给张城边色安放件记区"
         "边利声立书写住德往南语山反流近克收传决任须命式连北界专统利示办造史特提各义照张西八规"
         "越认议条身带太活统队教据术感类领通话意光候任保持形想步门总眼完达整联计清少难车品场")
PUNCTUATION = "，，，，、；："
LATIN = ("Rust", "Cargo", "PDF", "EPUB", "Unicode", "HTTP")


def sentence(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(2, 4)):
        clause = "".join(rng.choice(HANZI) for _ in range(rng.randint(6, 14)))
        if rng.random() < 0.1:
            clause += f" {rng.choice(LATIN)} "
        parts.append(clause)
    return "".join(p + rng.choice(PUNCTUATION) for p in parts[:-1]) + parts[-1] + \
        rng.choice("。。。！？")


def generate(out: Path, chapters: int = 200, paragraphs: int = 12, seed: int = 20) -> None:
    rng = random.Random(seed)
    (out / "chapters").mkdir(parents=True, exist_ok=True)
    names = []
    for number in range(1, chapters + 1):
        name = f"chapters/{number:03d}.md"
        names.append(name)
        title = "".join(rng.choice(HANZI) for _ in range(rng.randint(3, 7)))
        body = [f"# 第{number}章 {title}", ""]
        for index in range(paragraphs):
            if index and index % 5 == 0:
                body += [f"## {''.join(rng.choice(HANZI) for _ in range(4))}", ""]
            body += ["".join(sentence(rng) for _ in range(rng.randint(3, 6))), ""]
        (out / name).write_text("\n".join(body), "utf-8")
    write_book_toml(out, {"title": "汉字排版测试", "subtitle": "二百章", "language": "zh-Hans",
                          "slug": "cjk-bench", "publisher": "Bench", "rights": "CC0",
                          "identifier": "urn:uuid:5f0c9a52-7e2b-4f7e-9d59-2f9ab0c0d020",
                          "date": "2026-01-01"}, names, "测试")

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--chapters", type=int, default=200)
    parser.add_argument("--paragraphs", type=int, default=12)
    args = parser.parse_args()
    generate(args.out, args.chapters, args.paragraphs)


if __name__ == "__main__":
    main()
