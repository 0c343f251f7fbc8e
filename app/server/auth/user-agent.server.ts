// A User-Agent header in plain words ("Firefox on Windows"), for a person telling their sessions
// apart. Only the common browsers and systems are named; anything else is "another browser".
export type Browser = "edge" | "opera" | "samsung" | "firefox" | "chrome" | "safari" | "other";
export type System = "windows" | "ios" | "ipados" | "android" | "chromeos" | "macos" | "linux" | "other";

export interface Device {
  browser: Browser;
  system: System;
}

const BROWSERS: [RegExp, Browser][] = [
  [/\bEdg(e|A|iOS)?\//, "edge"],
  [/\bOPR\/|\bOpera\b/, "opera"],
  [/\bSamsungBrowser\//, "samsung"],
  [/\b(Firefox|FxiOS)\//, "firefox"],
  [/\b(Chrome|CriOS|Chromium)\//, "chrome"],
  [/\bVersion\/[\d.]+.*\bSafari\//, "safari"],
];

const SYSTEMS: [RegExp, System][] = [
  [/\bWindows\b/, "windows"],
  [/\biPhone\b|\biPod\b/, "ios"],
  [/\biPad\b/, "ipados"],
  [/\bAndroid\b/, "android"],
  [/\bCrOS\b/, "chromeos"],
  [/\bMac OS X\b|\bMacintosh\b/, "macos"],
  [/\bLinux\b|\bX11\b/, "linux"],
];

export function describeUserAgent(userAgent: string | null | undefined): Device {
  const ua = userAgent ?? "";
  return {
    browser: BROWSERS.find(([re]) => re.test(ua))?.[1] ?? "other",
    system: SYSTEMS.find(([re]) => re.test(ua))?.[1] ?? "other",
  };
}
