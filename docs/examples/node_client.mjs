// codex-gateway from the official `openai` Node SDK (npm install openai).
//
//   export CODEX_GATEWAY_API_KEY=sk-choose-a-long-random-key
//   node docs/examples/node_client.mjs
import OpenAI from "openai";

const client = new OpenAI({
  baseURL: process.env.CODEX_GATEWAY_BASE_URL ?? "http://127.0.0.1:3000/v1",
  apiKey: process.env.CODEX_GATEWAY_API_KEY,
});
const model = process.env.CODEX_GATEWAY_MODEL ?? "gpt-5.3-codex";

// Chat Completions, one answer.
const completion = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "What is WebAssembly? One sentence." }],
});
console.log("chat:", completion.choices[0].message.content);

// Chat Completions, streamed.
const stream = await client.chat.completions.create({
  model,
  messages: [{ role: "user", content: "Count from 1 to 5." }],
  stream: true,
  stream_options: { include_usage: true },
});
for await (const chunk of stream) {
  process.stdout.write(chunk.choices[0]?.delta?.content ?? "");
  if (chunk.usage) console.log(`\nusage: ${chunk.usage.total_tokens}`);
}

// Responses API.
const response = await client.responses.create({ model, input: "Say hello in French." });
console.log("responses:", response.output_text);

// Errors arrive as typed API errors with the gateway's code.
try {
  await client.chat.completions.create({ model, n: 2, messages: [{ role: "user", content: "hi" }] });
} catch (err) {
  console.log("error:", err.status, err.code, err.message);
}
