// The official Anthropic TypeScript SDK (`@anthropic-ai/sdk`) against the gateway's Anthropic
// Messages API: `new Anthropic({ baseURL: gateway_url })` appends `/v1/messages` itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { startGateway } from '../support/host.mjs';
import { responsesGolden } from '../support/fixtures.mjs';

let gw;
let client;
before(async () => {
  gw = await startGateway();
  client = new Anthropic({ baseURL: gw.gateway_url, apiKey: gw.api_key, maxRetries: 0, timeout: 30_000 });
});
after(async () => { await gw?.stop(); });

// The fake backend plays the fixture case named after the `@`.
const model = (c) => `gpt-5.4@${c}`;
const output = (c) => responsesGolden(c).output;
const goldenText = (c) => output(c).find((o) => o.type === 'message').content.map((p) => p.text).join('');
const goldenCalls = (c) => output(c).filter((o) => o.type === 'function_call')
  .map((o) => [o.call_id, o.name, JSON.parse(o.arguments)]);
const goldenReasoning = (c) => output(c).find((o) => o.type === 'reasoning');
const posts = async () => (await gw.upstreamRequests()).filter((r) => r.method === 'POST');
const lastInput = async () => JSON.parse((await gw.lastGeneration()).body).input;

const HI = [{ role: 'user', content: 'Hi' }];
const THINKING = { type: 'enabled', budget_tokens: 2048 };
const TOOLS = [
  {
    name: 'get_weather',
    description: 'Current weather in a city',
    input_schema: {
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['c', 'f'] } },
      required: ['city', 'unit'],
    },
  },
  {
    name: 'get_time',
    description: 'Current time in a time zone',
    input_schema: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] },
  },
];

test('messages.create returns the text in Anthropic\'s shape', async () => {
  const message = await client.messages.create({ model: model('text'), max_tokens: 1024, system: 'Be terse.', messages: HI });
  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.match(message.id, /^msg_/);
  assert.equal(message.model, model('text'));
  assert.equal(message.stop_reason, 'end_turn');
  assert.deepEqual(message.content.map((b) => b.type), ['text']);
  assert.equal(message.content[0].text, goldenText('text'));
  assert.equal(message.usage.output_tokens, responsesGolden('text').usage.output_tokens);
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  assert.equal(upstream.instructions, 'Be terse.');
});

test('authToken (Authorization: Bearer) works too', async () => {
  const bearer = new Anthropic({ baseURL: gw.gateway_url, authToken: gw.api_key, maxRetries: 0 });
  const message = await bearer.messages.create({ model: model('text'), max_tokens: 64, messages: HI });
  assert.equal(message.content[0].text, goldenText('text'));
});

test('messages.stream streams text deltas and ends with end_turn', async () => {
  const stream = client.messages.stream({ model: model('text'), max_tokens: 1024, messages: HI });
  const pieces = [];
  stream.on('text', (delta) => pieces.push(delta));
  const events = [];
  for await (const event of stream) events.push(event.type);
  const final = await stream.finalMessage();
  assert.ok(pieces.length > 1, `the text arrives as deltas: ${pieces}`);
  assert.equal(pieces.join(''), goldenText('text'));
  assert.equal(final.stop_reason, 'end_turn');
  assert.equal(final.content[0].text, goldenText('text'));
  assert.equal(events[0], 'message_start');
  assert.deepEqual(events.slice(-2), ['message_delta', 'message_stop']);
});

test('tools: tool_use blocks with parsed input, then tool results go upstream', async () => {
  const ask = { model: model('tool_calls_parallel'), max_tokens: 1024, tools: TOOLS,
    messages: [{ role: 'user', content: 'Weather and time in Paris?' }] };
  const message = await client.messages.stream(ask).finalMessage();
  assert.equal(message.stop_reason, 'tool_use');
  assert.deepEqual(message.content.map((b) => [b.id, b.name, b.input]), goldenCalls('tool_calls_parallel'));
  assert.ok(message.content.every((b) => b.type === 'tool_use'));

  const results = message.content.map((b) => ({ type: 'tool_result', tool_use_id: b.id, content: `${b.name}: ok` }));
  const answer = await client.messages.create({
    model: model('text'), max_tokens: 1024, tools: TOOLS,
    messages: [...ask.messages, { role: 'assistant', content: message.content }, { role: 'user', content: results }],
  });
  assert.equal(answer.content[0].text, goldenText('text'));
  const input = await lastInput();
  assert.deepEqual(input.filter((i) => i.type === 'function_call_output').map((i) => i.call_id),
    goldenCalls('tool_calls_parallel').map(([id]) => id));
  assert.equal(input.filter((i) => i.type === 'function_call').length, 2);
});

test('thinking: a signed block comes back and is replayed as the reasoning item', async () => {
  const ask = { model: model('reasoning_summary'), max_tokens: 4096, thinking: THINKING,
    messages: [{ role: 'user', content: 'A haiku' }] };
  const stream = client.messages.stream(ask);
  let thought = '';
  stream.on('thinking', (delta) => { thought += delta; });
  const message = await stream.finalMessage();
  const reasoning = goldenReasoning('reasoning_summary');
  assert.deepEqual(message.content.map((b) => b.type), ['thinking', 'text']);
  const [thinking, text] = message.content;
  assert.match(thinking.signature, /^cgw2\.[0-9a-f]{8}\./);
  assert.ok(thinking.signature.endsWith(`.${reasoning.encrypted_content}`));
  assert.equal(thinking.thinking, reasoning.summary.map((s) => s.text).join('\n\n'));
  assert.equal(thought, thinking.thinking);
  assert.equal(text.text, goldenText('reasoning_summary'));

  // The same backend model: a signature is bound to the model that reasoned.
  const again = await client.messages.create({
    model: model('reasoning_summary'), max_tokens: 4096, thinking: THINKING,
    messages: [...ask.messages, { role: 'assistant', content: message.content }, { role: 'user', content: 'Another' }],
  });
  assert.equal(again.stop_reason, 'end_turn');
  const replayed = (await lastInput()).filter((i) => i.type === 'reasoning');
  assert.equal(replayed.length, 1);
  assert.equal(replayed[0].encrypted_content, reasoning.encrypted_content);
});

test('messages.countTokens answers an estimate without an upstream call', async () => {
  const before = (await posts()).length;
  const small = await client.messages.countTokens({ model: model('text'), messages: HI });
  const larger = await client.messages.countTokens({
    model: model('text'), system: 'Be terse. '.repeat(50), tools: TOOLS,
    messages: [{ role: 'user', content: 'Weather and time in Paris? '.repeat(20) }],
  });
  assert.ok(small.input_tokens > 0, JSON.stringify(small));
  assert.ok(larger.input_tokens > small.input_tokens);
  assert.equal((await posts()).length, before);
});

test('models.list returns the gateway\'s models', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes('gpt-5.4'), ids.join(','));
});

test('errors: 429 is a RateLimitError, a wrong key an AuthenticationError, no messages a BadRequestError', async () => {
  await assert.rejects(client.messages.create({ model: model('status-429'), max_tokens: 64, messages: HI }), (err) => {
    assert.ok(err instanceof Anthropic.RateLimitError, String(err));
    assert.equal(err.status, 429);
    assert.equal(err.type, 'rate_limit_error');
    assert.ok(err.headers.get('retry-after'));
    return true;
  });
  await assert.rejects(client.messages.stream({ model: model('failed_overloaded'), max_tokens: 64, messages: HI }).finalMessage(),
    (err) => {
      assert.ok(err instanceof Anthropic.InternalServerError, String(err));
      assert.equal(err.status, 503);
      assert.equal(err.type, 'overloaded_error');
      return true;
    });
  const wrong = new Anthropic({ baseURL: gw.gateway_url, apiKey: 'sk-wrong', maxRetries: 0 });
  await assert.rejects(wrong.messages.create({ model: model('text'), max_tokens: 64, messages: HI }), (err) => {
    assert.ok(err instanceof Anthropic.AuthenticationError, String(err));
    assert.equal(err.type, 'authentication_error');
    return true;
  });
  await assert.rejects(client.messages.create({ model: model('text'), max_tokens: 64, messages: [] }), (err) => {
    assert.ok(err instanceof Anthropic.BadRequestError, String(err));
    assert.equal(err.type, 'invalid_request_error');
    return true;
  });
});
