import sys
from functools import lru_cache


@lru_cache(maxsize=None)
def _norm(s):
    return s.strip().lower()


def main(path):
    for text in open(path):
        _norm(text)


if __name__ == "__main__":
    main(sys.argv[1])
