import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jsonSchema, tool } from 'ai';
import { REPO } from './host.mjs';

const FIXTURES = join(REPO, 'testing/fixtures/stream');
export const chatGolden = (c) => JSON.parse(readFileSync(join(FIXTURES, c, 'chat.json'), 'utf8'));
export const responsesGolden = (c) => JSON.parse(readFileSync(join(FIXTURES, c, 'responses.json'), 'utf8'));

/** The golden tool calls of a case as [id, name, args]. */
export function goldenCalls(c) {
  return chatGolden(c).choices[0].message.tool_calls.map((t) => [t.id, t.function.name, JSON.parse(t.function.arguments)]);
}

/** Tools matching the `tool_calls_parallel` fixture; `executed` records each call. */
export function weatherTools(executed = []) {
  return {
    get_weather: tool({
      description: 'Current weather in a city',
      inputSchema: jsonSchema({
        type: 'object',
        properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
        required: ['city', 'unit'],
        additionalProperties: false,
      }),
      execute: async (input) => { executed.push(['get_weather', input]); return { tempC: 18 }; },
    }),
    get_time: tool({
      description: 'Current time in a time zone',
      inputSchema: jsonSchema({
        type: 'object',
        properties: { tz: { type: 'string' } },
        required: ['tz'],
        additionalProperties: false,
      }),
      execute: async (input) => { executed.push(['get_time', input]); return { time: '12:00' }; },
    }),
  };
}
