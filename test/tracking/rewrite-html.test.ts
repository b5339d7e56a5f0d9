import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { rewriteHtml, rewriteText } from '../../src/tracking/rewrite-html.js';
import { TrackingTokens } from '../../src/tracking/tokens.js';

const CORPUS = corpusDir('html') ?? '';
const haveCorpus = CORPUS !== '';
const files = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.html')) : [];
const PIXEL = 'https://t.test/o/PIXEL';
const pixelRe = /<img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/>/;
const tracked = (u: string) => `https://t.test/c/${Buffer.from(u).toString('base64url')}`;

describe.skipIf(!haveCorpus)('rewriting real HTML emails (../shared/corpus/html)', () => {
  it.each(files)('%s: unchanged except the pixel when links map to themselves', async (file) => {
    const html = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    const out = await rewriteHtml(html, { clickUrl: (u) => u, pixelUrl: PIXEL, pixelPosition: 'bottom' });
    expect(out.match(new RegExp(pixelRe, 'g'))).toHaveLength(1);
    const withoutPixel = out.replace(pixelRe, '');
    if (file.startsWith('edge--')) return; // single-quoted and unquoted hrefs come back double-quoted: checked below
    expect(withoutPixel).toBe(html);
  });

  it.each(files)('%s: every http(s) link is tracked, nothing else moves', async (file) => {
    const html = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    const out = await rewriteHtml(html, { clickUrl: tracked, pixelUrl: null, pixelPosition: 'bottom' });
    // Undo the rewriting: decode each tracked URL back to what it stood for; the rest must be the input.
    const back = out.replace(/https:\/\/t\.test\/c\/([A-Za-z0-9_-]+)/g, (_, b: string) => Buffer.from(b, 'base64url').toString().replace(/&/g, '&amp;'));
    if (!file.startsWith('edge--')) expect(back).toBe(html);
  });
});

describe.skipIf(!haveCorpus)('the tricky markup file', () => {
  it('tracks what it must and leaves the rest', async () => {
    const html = fs.readFileSync(path.join(CORPUS, 'edge--tricky-markup.html'), 'utf8');
    const out = await rewriteHtml(html, { clickUrl: tracked, pixelUrl: PIXEL, pixelPosition: 'bottom', skipPrefix: 'https://mail.test/unsubscribe' });
    const targets = [...out.matchAll(/https:\/\/t\.test\/c\/([A-Za-z0-9_-]+)/g)].map((m) => Buffer.from(m[1]!, 'base64url').toString());
    expect(targets).toEqual([
      'HTTPS://Shop.Example.org/Item?id=7&ref=mail&utm_source=news#top', // uppercase, entities decoded, fragment kept
      'https://single.example.org/?q=a+b&c=%20d',
      'https://unquoted.example.org/x',
      'https://base.example.org/path/relative/page.html', // resolved against <base>
      'https://spaces.example.org/',
      'https://vml.example.org/cta', // inside the Outlook conditional comment
      'https://cta.example.org/',
      'https://area.example.org/',
    ]);
    expect(out).toContain('<A HREF="https://t.test/c/');
    expect(out).toContain('TARGET="_blank">Uppercase tag and attribute</A>');
    for (const kept of ['mailto:help@example.test?subject=Hi%20there', 'tel:+254700000000', '"#section-2"', 'javascript:alert(1)', '%unsubscribe_url%', '|*UNSUBSCRIBE*|',
      'https://img.example.org/bg.png', 'https://img.example.org/logo.png', 'https://text.example.org/not-a-link-because-it-is-text?x=1',
      '<p>Caf&eacute; &amp; cr&egrave;me &#8212; &#x1F600; &nbsp;prices &lt; 5&euro;</p>', '<!--[if gte mso 9]><xml>']) {
      expect(out).toContain(kept);
    }
    expect(out).toContain('<a href="https://keep.example.org/private">Not tracked</a>');
    expect(out).toContain('<a href="https://keep2.example.org/">Not tracked, bare attribute value</a>');
    expect(out).not.toContain('disable-tracking');
    expect(out).toMatch(/<img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/><\/BODY>/);
  });

  it('puts the pixel at the top when asked, and none when open tracking is off', async () => {
    const top = await rewriteHtml('<html><body class="x"><p>Hi</p></body></html>', { clickUrl: null, pixelUrl: PIXEL, pixelPosition: 'top' });
    expect(top).toMatch(/^<html><body class="x"><img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/><p>Hi<\/p><\/body><\/html>$/);
    const fragment = await rewriteHtml('<p>No body tag <a href="https://x.test">x</a></p>', { clickUrl: null, pixelUrl: PIXEL, pixelPosition: 'bottom' });
    expect(fragment).toMatch(/^<p>No body tag <a href="https:\/\/x\.test">x<\/a><\/p><img /);
    expect(await rewriteHtml('<p>x</p>', { clickUrl: null, pixelUrl: null, pixelPosition: 'bottom' })).toBe('<p>x</p>');
  });
});

describe('text parts and tokens', () => {
  it('rewrites URLs in text, keeping trailing punctuation', () => {
    expect(rewriteText('See https://a.test/x?y=1. Or http://b.test!', tracked)).toBe(`See ${tracked('https://a.test/x?y=1')}. Or ${tracked('http://b.test')}!`);
  });

  it('signs tokens that cannot be forged or altered', () => {
    const tokens = new TrackingTokens('s3cret');
    const emailId = '01a20000-0000-7000-8000-000000000001';
    const recipientId = '01a20000-0000-7000-8000-000000000002';
    const click = tokens.sign({ kind: 'click', emailId, recipientId, url: 'https://shop.test/a?b=1' });
    expect(tokens.verify(click, 'click')).toEqual({ kind: 'click', emailId, recipientId, url: 'https://shop.test/a?b=1' });
    expect(tokens.verify(click, 'open')).toBeNull();
    const [body, mac] = click.split('.');
    const forged = Buffer.from(body!, 'base64url');
    forged.write('https://evil.test/', 33);
    expect(tokens.verify(`${forged.toString('base64url')}.${mac}`, 'click')).toBeNull();
    expect(new TrackingTokens('other').verify(click, 'click')).toBeNull();
    expect(tokens.verify('garbage', 'click')).toBeNull();
    const open = tokens.sign({ kind: 'open', emailId, recipientId });
    expect(tokens.verify(open, 'open')).toEqual({ kind: 'open', emailId, recipientId });
  });
});
