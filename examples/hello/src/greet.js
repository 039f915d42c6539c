const GREETINGS = { en: 'Hello', fr: 'Bonjour', de: 'Hallo' };

/** Greets `name` in `lang` (en, fr, de). */
export function greet(name, lang = 'en') {
  const word = GREETINGS[lang];
  if (!word) throw new Error(`unknown language "${lang}"`);
  return `${word}, ${name}!`;
}
