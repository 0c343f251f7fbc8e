// What a person sees when the database cannot be reached: a plain page in both languages, sent
// without touching the database or React.
export function unavailablePage(): string {
  return `<!doctype html>
<html lang="ja"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>一時的に利用できません / Temporarily unavailable — Mamoru</title></head>
<body><main>
<h1>一時的に利用できません</h1><p>サービスに接続できません。しばらくしてから再度お試しください。入力内容は保存されていない可能性があります。</p>
<h2 lang="en">Temporarily unavailable</h2><p lang="en">The service cannot be reached just now. Please try again in a few minutes. What you last submitted may not have been saved.</p>
</main></body></html>`;
}
