import { answer, documented } from './schemas.js';

const url = { type: 'string' } as const;

/** The links of one copy. */
const trackingLinksList = {
  type: 'array',
  items: answer({
    recipient: { type: 'string', description: 'The address this copy goes to.' },
    pixel_url: {
      type: ['string', 'null'],
      description: "The open pixel in this recipient's copy; null when the copy has none (open tracking off, no HTML).",
    },
    links: {
      type: 'array',
      description:
        "The tracked links of this recipient's copy, each destination once, in the order of the HTML and then the text part; empty when click tracking is off.",
      items: answer({
        url: { ...url, description: 'Where the link goes: the link as the email has it.' },
        tracked_url: { ...url, description: 'The URL in the copy: answers 302 to `url` and records a click.' },
      }),
    },
  }),
} as const;

/** What the reference shows. */
const EXAMPLE = [
  {
    recipient: 'jane@example.org',
    pixel_url:
      'https://track.example.com/v1/track/open/bwGdLE5fEHwijgEKay2cThEBnSxOXxF6O5wtTl9qe4yd.Jkv6uYQytKMfHwwR9ZD63w',
    links: [
      {
        url: 'https://shop.example.com/orders/1042',
        tracked_url:
          'https://track.example.com/v1/track/click/YwGdLE5fEHwijgEKay2cThEBnSxOXxF6O5wtTl9qe4ydaHR0cHM6Ly9zaG9wLmV4YW1wbGUuY29tL29yZGVycy8xMDQy.42Jvj32FqT22Hb74Pe8bRg',
      },
      {
        url: 'https://shop.example.com/help?topic=delivery&lang=en',
        tracked_url:
          'https://track.example.com/v1/track/click/YwGdLE5fEHwijgEKay2cThEBnSxOXxF6O5wtTl9qe4ydaHR0cHM6Ly9zaG9wLmV4YW1wbGUuY29tL2hlbHA_dG9waWM9ZGVsaXZlcnkmbGFuZz1lbg.F3SuOYJL1d02obuF0S3Gzw',
      },
    ],
  },
];

/** GET /v1/emails/{id}/links: each recipient's open pixel and tracked links, as in their copy. */
export const trackingLinksBody = documented(
  trackingLinksList,
  "Each recipient's open pixel and tracked links, as their copy has them.",
  EXAMPLE,
);
