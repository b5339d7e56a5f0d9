import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { rewriteHtml } from '../../src/tracking/links/rewrite-html.js';
import { rewriteText } from '../../src/tracking/links/rewrite-text.js';
import { TrackingTokens, OPEN_TOKEN_CHARS } from '../../src/tracking/tokens.js';
import { eligibleLinks, mapBack } from './eligible-links.js';

const CORPUS = corpusDir('html') ?? '';
const haveCorpus = CORPUS !== '';
const files = haveCorpus ? fs.readdirSync(CORPUS).filter((f) => f.endsWith('.html')) : [];
const PIXEL = 'https://t.test/o/PIXEL';
const pixelRe = /<img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/>/;
const tracked = (u: string) => `https://t.test/c/${Buffer.from(u).toString('base64url')}`;
const untracked = (u: string) => Buffer.from(u.slice('https://t.test/c/'.length), 'base64url').toString();
const TRACKED_ATTR = /[\w:-]+="(https:\/\/t\.test\/c\/[A-Za-z0-9_-]+)"/g;

describe.skipIf(!haveCorpus)('rewriting real HTML emails (../shared/corpus/html)', () => {
  it.each(files)('%s: unchanged except the pixel when no link is tracked', async (file) => {
    const html = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    const out = await rewriteHtml(html, { clickUrl: null, pixelUrl: PIXEL, pixelPosition: 'bottom' });
    expect(out.match(new RegExp(pixelRe, 'g'))).toHaveLength(1);
    const { expected } = mapBack('', html, await eligibleLinks(html), TRACKED_ATTR, untracked);
    expect(out.replace(pixelRe, '')).toBe(expected); // `disable-tracking` goes even when clicks are not tracked
  });

  it.each(files)('%s: every eligible http(s) link is tracked to its destination, nothing else moves', async (file) => {
    const html = fs.readFileSync(path.join(CORPUS, file), 'utf8');
    const oracle = await eligibleLinks(html);
    const out = await rewriteHtml(html, { clickUrl: tracked, pixelUrl: null, pixelPosition: 'bottom' });
    // Each tracked href, mapped back to the input's own attribute text, must leave the input itself.
    const { back, expected, targets } = mapBack(out, html, oracle, TRACKED_ATTR, untracked);
    expect(targets).toEqual(oracle.links.map((l) => l.target));
    expect(back).toBe(expected);
  });
});

describe.skipIf(!haveCorpus)('the tricky markup file', () => {
  it('tracks what it must and leaves the rest', async () => {
    const html = fs.readFileSync(path.join(CORPUS, 'edge--tricky-markup.html'), 'utf8');
    const out = await rewriteHtml(html, {
      clickUrl: tracked,
      pixelUrl: PIXEL,
      pixelPosition: 'bottom',
      keep: (u) => u.startsWith('https://mail.test/unsubscribe'),
    });
    const targets = [...out.matchAll(/https:\/\/t\.test\/c\/([A-Za-z0-9_-]+)/g)].map((m) =>
      Buffer.from(m[1]!, 'base64url').toString(),
    );
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
    for (const kept of [
      'mailto:help@example.test?subject=Hi%20there',
      'tel:+254700000000',
      '"#section-2"',
      'javascript:alert(1)',
      '%unsubscribe_url%',
      '|*UNSUBSCRIBE*|',
      'https://img.example.org/bg.png',
      'https://img.example.org/logo.png',
      'https://text.example.org/not-a-link-because-it-is-text?x=1',
      '<p>Caf&eacute; &amp; cr&egrave;me &#8212; &#x1F600; &nbsp;prices &lt; 5&euro;</p>',
      '<!--[if gte mso 9]><xml>',
    ]) {
      expect(out).toContain(kept);
    }
    expect(out).toContain('<a href="https://keep.example.org/private">Not tracked</a>');
    expect(out).toContain('<a href="https://keep2.example.org/">Not tracked, bare attribute value</a>');
    expect(out).not.toContain('disable-tracking');
    expect(out).toMatch(/<img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/><\/BODY>/);
  });
});

describe('rewriter edges', () => {
  const track = (html: string, o: Partial<Parameters<typeof rewriteHtml>[1]> = {}) =>
    rewriteHtml(html, { clickUrl: tracked, pixelUrl: null, pixelPosition: 'bottom', ...o });

  it('takes disable-tracking="false" at its word; any other value, or none, switches tracking off', async () => {
    expect(await track('<a href="https://a.test/" disable-tracking="false">x</a>')).toBe(
      `<a href="${tracked('https://a.test/')}">x</a>`,
    );
    expect(await track('<a href="https://a.test/" DISABLE-TRACKING=" False ">x</a>')).toBe(
      `<a href="${tracked('https://a.test/')}">x</a>`,
    );
    for (const attr of [
      'disable-tracking',
      'disable-tracking=""',
      'disable-tracking="true"',
      'disable-tracking=TRUE',
      "disable-tracking='yes'",
    ]) {
      expect(await track(`<a href="https://a.test/" ${attr}>x</a>`)).toBe('<a href="https://a.test/">x</a>');
    }
  });

  it('never tracks unsubscribe links: merge tags, data-unsubscribe, and the links `keep` claims', async () => {
    const keep = (u: string) => u.startsWith('https://t.test/v1/unsubscribe');
    const html =
      [
        '{{unsubscribe}}',
        '{{{unsubscribe_url}}}',
        '%unsubscribe_url%',
        '*|UNSUB|*',
        'https://t.test/v1/unsubscribe/abc',
      ]
        .map((href) => `<a href="${href}">u</a>`)
        .join('') + '<a data-unsubscribe href="https://lists.test/u/1">u</a><a href="https://shop.test/">s</a>';
    expect(await track(html, { keep })).toBe(
      html.replace('"https://shop.test/"', `"${tracked('https://shop.test/')}"`),
    );
  });

  it('puts a top pixel after <body>, or at the very start of a document without one (after its doctype)', async () => {
    const top = (html: string) => rewriteHtml(html, { clickUrl: null, pixelUrl: PIXEL, pixelPosition: 'top' });
    expect(await top('<html><body class="x"><p>Hi</p></body></html>')).toMatch(
      /^<html><body class="x"><img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/><p>Hi<\/p><\/body><\/html>$/,
    );
    expect(await top('<p>No body</p>')).toMatch(/^<img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/><p>No body<\/p>$/);
    expect(await top('<!DOCTYPE html>\n<html><head><title>t</title></head><p>x</p></html>')).toMatch(
      /^<!DOCTYPE html><img src="https:\/\/t\.test\/o\/PIXEL"[^>]*\/>\n<html><head><title>t<\/title><\/head><p>x<\/p><\/html>$/,
    );
    expect(await top('<!doctype html><html><BODY><p>x</p></BODY></html>')).toMatch(
      /^<!doctype html><html><BODY><img [^>]*\/><p>x<\/p><\/BODY><\/html>$/,
    );
  });

  it('puts a bottom pixel before </body>, or at the end without one; none when open tracking is off', async () => {
    const fragment = await rewriteHtml('<p>No body tag <a href="https://x.test">x</a></p>', {
      clickUrl: null,
      pixelUrl: PIXEL,
      pixelPosition: 'bottom',
    });
    expect(fragment).toMatch(/^<p>No body tag <a href="https:\/\/x\.test">x<\/a><\/p><img [^>]*\/>$/);
    expect(await rewriteHtml('<!DOCTYPE html><p>x</p>', { clickUrl: null, pixelUrl: null, pixelPosition: 'top' })).toBe(
      '<!DOCTYPE html><p>x</p>',
    );
  });

  it('leaves a link alone when clickUrl declines it (too long to sign)', async () => {
    expect(
      await track('<a href="https://a.test/long">x</a><a href="https://a.test/ok">y</a>', {
        clickUrl: (u) => (u.endsWith('long') ? null : tracked(u)),
      }),
    ).toBe(`<a href="https://a.test/long">x</a><a href="${tracked('https://a.test/ok')}">y</a>`);
  });
});

describe('text parts and tokens', () => {
  it('rewrites URLs in text, keeping trailing punctuation', () => {
    expect(rewriteText('See https://a.test/x?y=1. Or http://b.test!', tracked)).toBe(
      `See ${tracked('https://a.test/x?y=1')}. Or ${tracked('http://b.test')}!`,
    );
  });

  it('keeps balanced parentheses and brackets in a URL, and leaves out the ones around it', () => {
    expect(rewriteText('Read https://en.wikipedia.org/wiki/Mercury_(planet).', tracked)).toBe(
      `Read ${tracked('https://en.wikipedia.org/wiki/Mercury_(planet)')}.`,
    );
    expect(rewriteText('(see https://a.test/x)', tracked)).toBe(`(see ${tracked('https://a.test/x')})`);
    expect(rewriteText('(https://a.test/f(x)), [https://a.test/y]', tracked)).toBe(
      `(${tracked('https://a.test/f(x)')}), [${tracked('https://a.test/y')}]`,
    );
    expect(rewriteText('<https://a.test/angle>', tracked)).toBe(`<${tracked('https://a.test/angle')}>`);
  });

  it('leaves merge tags, links `keep` claims and links clickUrl declines as written', () => {
    const text =
      'Unsubscribe: https://lists.test/u?id={{id}} or https://t.test/v1/unsubscribe/x, long https://a.test/long, and https://a.test/ok';
    const out = rewriteText(
      text,
      (u) => (u.endsWith('long') ? null : tracked(u)),
      (u) => u.startsWith('https://t.test/v1/unsubscribe'),
    );
    expect(out).toBe(text.replace('https://a.test/ok', tracked('https://a.test/ok')));
  });

  it('signs tokens that cannot be forged or altered', () => {
    const tokens = new TrackingTokens('s3cret');
    const emailId = '01a20000-0000-7000-8000-000000000001';
    const recipientId = '01a20000-0000-7000-8000-000000000002';
    const click = tokens.sign({ kind: 'click', emailId, recipientId, url: 'https://shop.test/a?b=1' });
    expect(tokens.verify(click, 'click')).toEqual({
      kind: 'click',
      emailId,
      recipientId,
      url: 'https://shop.test/a?b=1',
    });
    expect(tokens.verify(click, 'open')).toBeNull();
    const [body, mac] = click.split('.');
    const forged = Buffer.from(body!, 'base64url');
    forged.write('https://evil.test/', 33);
    expect(tokens.verify(`${forged.toString('base64url')}.${mac}`, 'click')).toBeNull();
    expect(new TrackingTokens('other').verify(click, 'click')).toBeNull();
    expect(tokens.verify('garbage', 'click')).toBeNull();
    // The pixel route buffers only tokens of this exact length (and checks their MAC in the batch).
    for (const id of ['01a20000-0000-7000-8000-000000000003', 'ffffffff-ffff-7fff-bfff-ffffffffffff']) {
      expect(tokens.sign({ kind: 'open', emailId: id, recipientId }).length).toBe(OPEN_TOKEN_CHARS);
    }
    const open = tokens.sign({ kind: 'open', emailId, recipientId });
    expect(tokens.verify(open, 'open')).toEqual({ kind: 'open', emailId, recipientId });
  });
});
