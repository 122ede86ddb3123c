import { createRequire } from 'node:module'

// The UMD build: the package's ES build imports files without extensions, which Node refuses.
const AdaptiveCards = createRequire(import.meta.url)('adaptivecards/dist/adaptivecards.js') as {
  AdaptiveCard: new () => { parse(json: unknown, context: unknown): void; getItemCount(): number }
  SerializationContext: new () => { eventCount: number; getEventAt(i: number): { message: string } }
}

/** Parses a card with the Adaptive Cards SDK: the problems it reports, and how many items it has. */
export function validateAdaptiveCard(content: unknown): { problems: string[]; items: number } {
  const card = new AdaptiveCards.AdaptiveCard()
  const context = new AdaptiveCards.SerializationContext()
  card.parse(content, context)
  return {
    problems: Array.from({ length: context.eventCount }, (_, i) => context.getEventAt(i).message),
    items: card.getItemCount(),
  }
}
