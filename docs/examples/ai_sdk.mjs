// codex-gateway from the Vercel AI SDK (npm install ai @ai-sdk/openai zod).
//
//   export CODEX_GATEWAY_API_KEY=sk-choose-a-long-random-key
//   node docs/examples/ai_sdk.mjs
import { createOpenAI } from "@ai-sdk/openai";
import { generateText, streamText, tool } from "ai";
import { z } from "zod";

const gateway = createOpenAI({
  baseURL: process.env.CODEX_GATEWAY_BASE_URL ?? "http://127.0.0.1:3000/v1",
  apiKey: process.env.CODEX_GATEWAY_API_KEY,
});
const modelId = process.env.CODEX_GATEWAY_MODEL ?? "gpt-5.3-codex";

// gateway(modelId) talks to POST /v1/responses; gateway.chat(modelId) to /v1/chat/completions.
const { text, usage } = await generateText({
  model: gateway(modelId),
  prompt: "What is WebAssembly? One sentence.",
  providerOptions: { openai: { reasoningEffort: "low", reasoningSummary: "auto" } },
});
console.log("responses:", text, usage);

const result = streamText({
  model: gateway.chat(modelId),
  prompt: "What is the weather in Paris?",
  tools: {
    get_weather: tool({
      description: "Current weather for a city",
      inputSchema: z.object({ city: z.string() }),
      execute: async ({ city }) => ({ city, temp_c: 18, sky: "clear" }),
    }),
  },
});
for await (const part of result.fullStream) {
  if (part.type === "text-delta") process.stdout.write(part.text);
  if (part.type === "tool-call") console.log("\ntool call:", part.toolName, part.input);
}
console.log();
