// Vercel AI SDK (`ai` + `@ai-sdk/openai`) Chat Completions provider against the gateway.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createOpenAI } from '@ai-sdk/openai';
import { APICallError, generateText, stepCountIs, streamText } from 'ai';
import { model, startGateway } from '../support/host.mjs';
import { chatGolden, goldenCalls, weatherTools } from '../support/fixtures.mjs';

let gw;
let openai;
before(async () => {
  gw = await startGateway();
  openai = createOpenAI({ baseURL: gw.baseURL, apiKey: gw.api_key });
});
after(async () => { await gw?.stop(); });

const goldenText = (c) => chatGolden(c).choices[0].message.content;

test('generateText (chat) returns the text, finish reason and usage', async () => {
  const golden = chatGolden('text');
  const result = await generateText({ model: openai.chat(model('text')), system: 'Be terse.', prompt: 'Hi' });
  assert.equal(result.text, golden.choices[0].message.content);
  assert.equal(result.finishReason, 'stop');
  assert.equal(result.usage.inputTokens, golden.usage.prompt_tokens);
  assert.equal(result.usage.outputTokens, golden.usage.completion_tokens);
  assert.equal(result.usage.totalTokens, golden.usage.total_tokens);
  assert.ok(result.response.headers['x-request-id']);
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  assert.equal(upstream.instructions, 'Be terse.');
});

test('generateText (chat) reports cached and reasoning tokens', async () => {
  const golden = chatGolden('usage_cached_reasoning').usage;
  const result = await generateText({ model: openai.chat(model('usage_cached_reasoning')), prompt: 'Hi' });
  assert.equal(result.usage.inputTokenDetails?.cacheReadTokens ?? result.usage.cachedInputTokens,
    golden.prompt_tokens_details.cached_tokens);
  assert.equal(result.usage.outputTokenDetails?.reasoningTokens ?? result.usage.reasoningTokens,
    golden.completion_tokens_details.reasoning_tokens);
});

test('streamText (chat) streams the text', async () => {
  const result = streamText({ model: openai.chat(model('text')), prompt: 'Hi' });
  let text = '';
  for await (const piece of result.textStream) text += piece;
  assert.equal(text, goldenText('text'));
  assert.equal(await result.finishReason, 'stop');
  assert.equal((await result.usage).totalTokens, chatGolden('text').usage.total_tokens);
});

test('streamText (chat) with tools: parallel calls are parsed and executed', async () => {
  const executed = [];
  const result = streamText({
    model: openai.chat(model('tool_calls_parallel')),
    prompt: 'Weather and time in Paris?',
    tools: weatherTools(executed),
  });
  const parts = [];
  for await (const part of result.fullStream) {
    if (part.type === 'error') throw part.error;
    parts.push(part.type);
  }
  const calls = await result.toolCalls;
  assert.deepEqual(calls.map((c) => [c.toolCallId, c.toolName, c.input]), goldenCalls('tool_calls_parallel'));
  assert.equal(await result.finishReason, 'tool-calls');
  assert.ok(parts.includes('tool-input-delta'), `no tool-input-delta in ${parts}`);
  assert.deepEqual(executed.map(([name]) => name).sort(), ['get_time', 'get_weather']);
  assert.equal((await result.toolResults).length, 2);
});

test('generateText (chat) multi-step: tool calls, results, then the answer', async () => {
  const result = await generateText({
    model: openai.chat(model('tool_calls_parallel')),
    prompt: 'Weather and time in Paris?',
    tools: weatherTools(),
    stopWhen: stepCountIs(3),
    prepareStep: ({ stepNumber }) => (stepNumber > 0 ? { model: openai.chat(model('text')) } : undefined),
  });
  assert.equal(result.steps.length, 2);
  assert.equal(result.steps[0].finishReason, 'tool-calls');
  assert.equal(result.text, goldenText('text'));
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  const outputs = upstream.input.filter((i) => i.type === 'function_call_output').map((i) => i.call_id);
  assert.deepEqual(outputs, goldenCalls('tool_calls_parallel').map(([id]) => id));
  assert.equal(upstream.input.filter((i) => i.type === 'function_call').length, 2);
});

test('generateText (chat) on a reasoning answer does not choke on reasoning_content', async () => {
  const result = await generateText({
    model: openai.chat(model('reasoning_summary')),
    prompt: 'A haiku',
    providerOptions: { openai: { reasoningEffort: 'high' } },
  });
  assert.equal(result.text, goldenText('reasoning_summary'));
  const upstream = JSON.parse((await gw.lastGeneration()).body);
  assert.equal(upstream.reasoning.effort, 'high');
});

test('streamText (chat) on a reasoning stream', async () => {
  const result = streamText({ model: openai.chat(model('reasoning_summary')), prompt: 'A haiku' });
  let text = '';
  for await (const piece of result.textStream) text += piece;
  assert.equal(text, goldenText('reasoning_summary'));
});

test('a 429 from the gateway is an APICallError with Retry-After', async () => {
  await assert.rejects(
    generateText({ model: openai.chat(model('status-429')), prompt: 'Hi', maxRetries: 0 }),
    (err) => {
      assert.ok(APICallError.isInstance(err), String(err));
      assert.equal(err.statusCode, 429);
      assert.equal(err.responseHeaders['retry-after'], '120');
      assert.match(err.message, /usage limit/);
      return true;
    },
  );
});

test('a wrong key is a 401 APICallError', async () => {
  const wrong = createOpenAI({ baseURL: gw.baseURL, apiKey: 'sk-wrong' });
  await assert.rejects(generateText({ model: wrong.chat(model('text')), prompt: 'Hi', maxRetries: 0 }), (err) => {
    assert.equal(err.statusCode, 401);
    assert.equal(err.isRetryable, false);
    return true;
  });
});

test('a bad request is a 400 APICallError naming the problem', async () => {
  // A blank model id is the one malformed request the AI SDK lets through unchecked.
  await assert.rejects(generateText({ model: openai.chat(' '), prompt: 'Hi', maxRetries: 0 }), (err) => {
    assert.ok(APICallError.isInstance(err), String(err));
    assert.equal(err.statusCode, 400);
    assert.equal(err.isRetryable, false);
    assert.equal(JSON.parse(err.responseBody).error.param, 'model');
    assert.match(err.message, /model is required/);
    return true;
  });
});

test('a stream cut mid-way surfaces an error, not a fake stop', async () => {
  const result = streamText({
    model: openai.chat(model('truncated_mid_event')),
    prompt: 'Hi',
    maxRetries: 0,
    onError: () => {}, // expected here; the AI SDK would log it
  });
  const errors = [];
  let finish;
  for await (const part of result.fullStream) {
    if (part.type === 'error') errors.push(part.error);
    if (part.type === 'finish') finish = part.finishReason;
  }
  assert.equal(errors.length, 1, `errors: ${errors}`);
  assert.notEqual(finish, 'stop');
});
