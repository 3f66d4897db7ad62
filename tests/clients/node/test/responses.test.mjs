// Vercel AI SDK Responses provider (`openai.responses(id)`, and `openai(id)`, which defaults
// to Responses) against the gateway's `/v1/responses` pass-through.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, stepCountIs, streamText } from 'ai';
import { model, startGateway } from '../support/host.mjs';
import { goldenCalls, responsesGolden, weatherTools } from '../support/fixtures.mjs';

let gw;
let openai;
before(async () => {
  gw = await startGateway();
  openai = createOpenAI({ baseURL: gw.baseURL, apiKey: gw.api_key });
});
after(async () => { await gw?.stop(); });

const goldenText = (c) => responsesGolden(c).output.find((o) => o.type === 'message').content[0].text;
const stateless = { openai: { store: false } };

test('openai(id) defaults to the Responses API', async () => {
  const result = await generateText({ model: openai(model('text')), prompt: 'Hi' });
  assert.equal(result.text, goldenText('text'));
  assert.equal((await gw.lastGeneration()).path, '/backend-api/codex/responses');
  assert.equal(result.usage.totalTokens, responsesGolden('text').usage.total_tokens);
});

test('generateText (responses) with store:false asks for encrypted reasoning', async () => {
  const result = await generateText({
    model: openai.responses(model('text')),
    system: 'You are Codex.',
    prompt: 'Hi',
    providerOptions: { openai: { store: false, reasoningEffort: 'low', reasoningSummary: 'auto' } },
  });
  assert.equal(result.text, goldenText('text'));
  assert.equal(result.finishReason, 'stop');
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  assert.equal(upstream.store, false);
  assert.deepEqual(upstream.reasoning, { effort: 'low', summary: 'auto' });
  assert.ok(upstream.include.includes('reasoning.encrypted_content'));
});

test('streamText (responses) streams text and reasoning', async () => {
  const result = streamText({
    model: openai.responses(model('reasoning_summary')),
    prompt: 'A haiku',
    providerOptions: { openai: { store: false, reasoningSummary: 'auto' } },
  });
  let text = '';
  for await (const piece of result.textStream) text += piece;
  assert.equal(text, goldenText('reasoning_summary'));
  const reasoning = await result.reasoningText;
  for (const s of responsesGolden('reasoning_summary').output[0].summary) assert.ok(reasoning.includes(s.text), reasoning);
  assert.equal(await result.finishReason, 'stop');
});

test('streamText (responses) with tools: parallel calls are parsed and executed', async () => {
  const executed = [];
  const result = streamText({
    model: openai.responses(model('tool_calls_parallel')),
    prompt: 'Weather and time in Paris?',
    tools: weatherTools(executed),
    providerOptions: stateless,
  });
  for await (const part of result.fullStream) if (part.type === 'error') throw part.error;
  const calls = await result.toolCalls;
  assert.deepEqual(calls.map((c) => [c.toolCallId, c.toolName, c.input]), goldenCalls('tool_calls_parallel'));
  assert.equal(executed.length, 2);
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  assert.deepEqual(upstream.tools.map((t) => t.name), ['get_weather', 'get_time']);
});

test('generateText (responses) multi-step with store:false sends the items back inline', async () => {
  const result = await generateText({
    model: openai.responses(model('tool_calls_parallel')),
    prompt: 'Weather and time in Paris?',
    tools: weatherTools(),
    stopWhen: stepCountIs(3),
    prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { model: openai.responses(model('text')) } : undefined),
    providerOptions: stateless,
  });
  assert.equal(result.steps.length, 2);
  assert.equal(result.text, goldenText('text'));
  const last = await gw.lastGeneration();
  const upstream = JSON.parse(last.body);
  const types = upstream.input.map((i) => i.type);
  assert.equal(types.filter((t) => t === 'function_call').length, 2, JSON.stringify(types));
  assert.equal(types.filter((t) => t === 'function_call_output').length, 2);
  assert.ok(upstream.input.every((i) => !('id' in i)), 'item ids must be stripped');
  assert.ok(!types.includes('item_reference'));
});

test('multi-step with the default store:true: item references are dropped and reported', async () => {
  // With store left at its default the AI SDK refers to the earlier reasoning item by id
  // (item_reference) instead of sending it; the stateless backend cannot resolve that, so the
  // gateway drops it and names it in x-codex-gateway-ignored-params. Function calls and their
  // outputs are sent inline and reach the backend. (Set store:false to keep reasoning items.)
  const result = await generateText({
    model: openai(model('tool_calls_parallel')),
    prompt: 'Weather and time in Paris?',
    tools: weatherTools(),
    stopWhen: stepCountIs(3),
    prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { model: openai(model('text')) } : undefined),
  });
  assert.equal(result.text, goldenText('text'));
  const sent = result.request.body;
  const sentTypes = (typeof sent === 'string' ? JSON.parse(sent) : sent).input.map((i) => i.type);
  assert.ok(sentTypes.includes('item_reference'), JSON.stringify(sentTypes));
  assert.equal(result.response.headers['x-codex-gateway-ignored-params'], 'input[].item_reference');
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  assert.equal(upstream.store, false);
  const types = upstream.input.map((i) => i.type);
  assert.ok(!types.includes('item_reference'));
  assert.equal(types.filter((t) => t === 'function_call').length, 2);
  assert.equal(types.filter((t) => t === 'function_call_output').length, 2);
});

test('a usage limit on /v1/responses is a 429 APICallError', async () => {
  await assert.rejects(
    generateText({ model: openai.responses(model('failed_usage_limit')), prompt: 'Hi', maxRetries: 0 }),
    (err) => {
      assert.ok(APICallError.isInstance(err), String(err));
      assert.equal(err.statusCode, 429);
      assert.equal(err.responseHeaders['retry-after'], '1800');
      return true;
    },
  );
});

test('a failed stream surfaces an error part', async () => {
  const result = streamText({
    model: openai.responses(model('failed_usage_limit')),
    prompt: 'Hi',
    maxRetries: 0,
    onError: () => {}, // expected here; the AI SDK would log it
  });
  const errors = [];
  for await (const part of result.fullStream) if (part.type === 'error') errors.push(part.error);
  assert.ok(errors.length >= 1);
  assert.match(String(errors[0].message ?? errors[0]), /usage limit/i);
});
