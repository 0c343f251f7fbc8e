import { describe, expect, it } from "vitest";
import { describeUserAgent } from "../../app/server/auth/user-agent.server";

const UA = {
  chromeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  edgeWindows:
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
  safariIphone:
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  firefoxMac: "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:132.0) Gecko/20100101 Firefox/132.0",
  chromeAndroid:
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
  samsung:
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36",
  firefoxLinux: "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
};

describe("a User-Agent in plain words", () => {
  it("names the common browsers and systems, checking the specific ones before the ones they imitate", () => {
    expect(describeUserAgent(UA.chromeWindows)).toEqual({ browser: "chrome", system: "windows" });
    expect(describeUserAgent(UA.edgeWindows)).toEqual({ browser: "edge", system: "windows" });
    expect(describeUserAgent(UA.safariIphone)).toEqual({ browser: "safari", system: "ios" });
    expect(describeUserAgent(UA.firefoxMac)).toEqual({ browser: "firefox", system: "macos" });
    expect(describeUserAgent(UA.chromeAndroid)).toEqual({ browser: "chrome", system: "android" });
    expect(describeUserAgent(UA.samsung)).toEqual({ browser: "samsung", system: "android" });
    expect(describeUserAgent(UA.firefoxLinux)).toEqual({ browser: "firefox", system: "linux" });
  });

  it("says 'other' for what it does not know, or for no header at all", () => {
    expect(describeUserAgent("curl/8.5.0")).toEqual({ browser: "other", system: "other" });
    expect(describeUserAgent(null)).toEqual({ browser: "other", system: "other" });
  });
});
