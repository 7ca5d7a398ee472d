/**
 * Growth bounded by a guard on the container's size (facts/evidence.ts, `growthOfAddition`): an
 * addition that runs only under `if k < N:` or `if len(C) < N:` is no evidence of growth, for
 * every growth rule that asks (MH201, MH204). The same additions without the guard are.
 */
import { describe, expect, it } from "vitest";
import { lint } from "../helpers/engine.js";

const codes = (source: string) => lint(source, ["MH201", "MH204"]).diagnostics.map((d) => d.code);

describe("a guard on the size of a growing container", () => {
  const memo = (guard: string) => `MAX = 2000\n_memo = {}\ndef get(n):\n    if n in _memo:\n        return _memo[n]\n    v = n * 3\n    ${guard}\n        _memo[n] = v\n    return v\n`;
  const defaulted = (guard: string) => `def get(n, _memo={}):\n    v = n * 3\n    ${guard}\n        _memo[n] = v\n    return v\n`;

  it("bounds an int key compared with a constant, in either direction", () => {
    expect(codes(memo("if n < MAX:"))).toEqual([]);
    expect(codes(memo("if 0 <= n <= 255:"))).toEqual([]);
    expect(codes(memo("if MAX > n and v:"))).toEqual([]);
    expect(codes(memo("if True:"))).toEqual(["MH201"]);
  });

  it("bounds an int key's absolute value, or a component of a tuple key", () => {
    expect(codes(memo("if abs(n) < MAX:"))).toEqual([]);
    expect(codes(`def get(p, q, _memo={}):\n    key = p, q\n    if q <= 4 and abs(key[0]) < 100:\n        _memo[key] = p * q\n    return key\n`)).toEqual([]);
  });

  it("needs every part of a key bounded, by a number; a list grows under any bound on its values", () => {
    const m = (body: string) => `_c = {}\n_l = []\ndef put(n, url):\n${body}\n`;
    expect(codes(m("    if n < 100:\n        _c[n, url] = url.upper()"))).toEqual(["MH201"]);
    expect(codes(m("    key = n, url\n    if abs(key[0]) < 100:\n        _c[key] = 1"))).toEqual(["MH201"]);
    expect(codes(m("    if url[0] < \"m\":\n        _c[url] = 1"))).toEqual(["MH201"]);
    expect(codes(m("    if url < \"m\":\n        _c[url] = 1"))).toEqual(["MH201"]);
    expect(codes(m("    if n < 100:\n        _l.append(n)"))).toEqual(["MH201"]);
    expect(codes(m("    if n < 100 and len(_l) < 50:\n        _l.append(n)"))).toEqual([]);
    expect(codes(m("    if n < 100 and 0 <= url <= 9:\n        _c[n, url] = 1"))).toEqual([]);
    expect(codes(`LIMIT = "m"\n${m("    if url < LIMIT:\n        _c[url] = 1")}`)).toEqual(["MH201"]);
    expect(codes(m("    if n < 10 and url < 10:\n        _c.setdefault(n, []).append(url)"))).toEqual(["MH201"]);
    expect(codes(m("    if len(_c) < 10:\n        _c.setdefault(n, []).append(url)"))).toEqual([]);
  });

  it("bounds an addition after an exit when the container is full; a len() elsewhere bounds nothing", () => {
    const m = (body: string) => `_c = {}\ndef put(url, body):\n${body}\n    _c[url] = len(body)\ndef stats():\n    return len(_c)\n`;
    expect(codes(m("    if len(_c) >= 1000:\n        return"))).toEqual([]);
    expect(codes(m("    if not url or 1000 < len(_c):\n        raise ValueError(url)"))).toEqual([]);
    expect(codes(m("    if len(_c) >= len(url):\n        return"))).toEqual(["MH201"]);
    expect(codes(m("    if len(_c) >= 1000:\n        print(url)"))).toEqual(["MH201"]);
    expect(codes(m("    pass"))).toEqual(["MH201"]);
  });

  it("does not count a bound on a key's length: it leaves the keys themselves unbounded", () => {
    expect(codes(memo("if len(n) < 50:"))).toEqual(["MH201"]);
    expect(codes(defaulted("if len(n) < 50:"))).toEqual(["MH204"]);
  });

  it("bounds the container's length compared with a constant", () => {
    expect(codes(defaulted("if len(_memo) < 100:"))).toEqual([]);
    expect(codes(defaulted("if True:"))).toEqual(["MH204"]);
  });

  it("does not count a bound that run-time data sets, a comparison of something else, or the else branch", () => {
    expect(codes(memo("if n < len(str(v)) * MAX:"))).toEqual(["MH201"]);
    expect(codes(memo("if v < MAX:"))).toEqual(["MH201"]);
    expect(codes(`MAX = 9\n_memo = {}\ndef get(n):\n    v = n * 3\n    if n < MAX:\n        pass\n    else:\n        _memo[n] = v\n    return v\n`)).toEqual(["MH201"]);
    expect(codes(defaulted("if len(_memo) < n:"))).toEqual(["MH204"]);
  });
});
