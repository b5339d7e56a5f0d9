// The unsubscribe endpoints' pages: small, self-contained (no scripts, styles or images from anywhere),
// readable by screen readers, and working without JavaScript: each action is a plain form POST.

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}button{font:inherit;padding:.5rem 1rem}</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

/** What a page says the unsubscribe covers. */
export interface PageScope {
  domain: string;
  tag: string;
}

function what(s: PageScope): string {
  const domain = `<strong>${escapeHtml(s.domain)}</strong>`;
  return s.tag ? `emails about <strong>${escapeHtml(s.tag)}</strong> from ${domain}` : `emails from ${domain}`;
}

/** GET: asks to confirm; a link alone never unsubscribes (mail scanners follow links). */
export function confirmPage(action: string, s: PageScope): string {
  return page(
    'Unsubscribe',
    `<p>Stop receiving ${what(s)}?</p>
<form method="post" action="${escapeHtml(action)}">
<button type="submit">Unsubscribe</button>
</form>`,
  );
}

/** After the confirm button: done, with a way back. */
export function unsubscribedPage(resubscribeAction: string, s: PageScope): string {
  return page(
    'You are unsubscribed',
    `<p role="status">You will no longer receive ${what(s)}.</p>
<form method="post" action="${escapeHtml(resubscribeAction)}">
<p>Unsubscribed by mistake? <button type="submit">Subscribe again</button></p>
</form>`,
  );
}

/** After "subscribe again". */
export function resubscribedPage(s: PageScope): string {
  return page('You are subscribed again', `<p role="status">You will receive ${what(s)} again.</p>`);
}

/** A token we did not sign, or whose email is gone. */
export function notFoundPage(): string {
  return page('Link not found', '<p>This unsubscribe link is not valid. Please check that it was copied whole.</p>');
}
