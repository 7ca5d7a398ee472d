# -*- coding: utf-8 -*-
import sys; 名前 = ["日本語", "中文", "한국어", "😀"] + sys.argv[1:]  # names given on the command line too
合計 = sum([len(字) for 字 in 名前]); print("合計:", 合計)
print("最大", max([x * x for x in range(10**6)]))
