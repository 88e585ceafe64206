import Foundation
import TestSupport

/// A small OpenAI-compatible chat-completions server on loopback, run with the test venv's Python.
///
/// It answers each request according to a script of behaviours (consumed in order, then `good`
/// forever): `good` (a valid decomposition built from the prompt's own label list), `malformed`
/// (a 200 whose content is not JSON), `badlabel` (valid JSON with a label not in the list),
/// `429` (Too Many Requests with `Retry-After: 1`), `500`, and `slow` (a good reply after 0.3 s).
/// `GET /count` returns how many completions were requested.
final class FakeLLMServer: @unchecked Sendable {
    static let script = #"""
import json, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
plan = [p for p in sys.argv[1].split(",") if p]
default = sys.argv[2] if len(sys.argv) > 2 else "good"
lock = threading.Lock()
state = {"count": 0, "questions": []}

def decomposition(messages):
    user = [m["content"] for m in messages if m["role"] == "user"][0]
    labels = [l[2:].split(":")[0].strip() for l in user.splitlines() if l.startswith("- ")]
    question = [l for l in user.splitlines() if l.startswith("Main question: ")][0][len("Main question: "):]
    answer = [l for l in user.splitlines() if l.startswith("Correct final answer: ")][0][len("Correct final answer: "):]
    return {"steps": [
        {"subquestion": "What is asked in: " + question, "answer": "look", "function": labels[0]},
        {"subquestion": "What do you see?", "answer": "objects", "function": labels[1 % len(labels)]},
        {"subquestion": "So what is the answer?", "answer": answer, "function": labels[-1]}]}, question

class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args): pass
    def reply(self, code, body, headers=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers: self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
    def do_GET(self):
        with lock: self.reply(200, {"requests": state["count"], "questions": state["questions"]})
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with lock:
            state["count"] += 1
            behaviour = plan.pop(0) if plan else default
        steps, question = decomposition(body["messages"])
        with lock: state["questions"].append(question)
        if behaviour == "429": return self.reply(429, {"error": "slow down"}, [("Retry-After", "1")])
        if behaviour == "500": return self.reply(500, {"error": "oops"})
        if behaviour == "malformed": content = "Sure! Here are the steps: step one, step two"
        elif behaviour == "badlabel":
            steps["steps"][0]["function"] = "Telepathy"; content = json.dumps(steps)
        else:
            if behaviour == "slow": time.sleep(0.3)
            content = "```json\n" + json.dumps(steps) + "\n```"
        self.reply(200, {"id": "x", "object": "chat.completion", "model": body["model"],
                         "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}]})

server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#

    let process = Process()
    private var stopped = false
    let port: Int

    /// Starts the server with a behaviour script like `"malformed,good"`.
    init(plan: String = "", defaultBehaviour: String = "good") throws {
        process.executableURL = try TestSupport.python
        process.arguments = ["-c", FakeLLMServer.script, plan, defaultBehaviour]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw TestSupportError("the fake LLM server did not start")
        }
        self.port = port
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)/v1")! }

    /// How many completions the server has been asked for.
    func requestCount() throws -> Int {
        let data = try Data(contentsOf: URL(string: "http://127.0.0.1:\(port)/count")!)
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        return json?["requests"] as? Int ?? -1
    }

    func stop() {
        // Polls instead of waitUntilExit, which can hang when called from a test's async context.
        guard !stopped else { return }
        stopped = true
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        for _ in 0..<500 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid || r < 0 { break }
            usleep(10_000)
        }
    }

    deinit { stop() }
}
