/** The content types the service answers with, written once (Vumi's replies are text/plain UTF-8). */
export const TEXT_PLAIN_UTF8 = 'text/plain; charset=utf-8';
export const JSON_UTF8 = 'application/json; charset=utf-8';
