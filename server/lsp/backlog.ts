/**
 * How many received messages the connection has not handled yet. Linting waits until the
 * messages already received are handled, so a backlog of edits (they arrived while a lint ran)
 * costs one lint, not one per edit; when nothing is waiting, it adds no delay.
 *
 * Counts: `received` by the reader, `handled` by the connection's message strategy. A message
 * that vscode-jsonrpc consumes without handling (a `$/cancelRequest` for a running request)
 * leaves the count one too high; `drained` notices that nothing moved for a whole turn of the
 * event loop and corrects it.
 */
import type { Message, MessageReader } from "vscode-languageserver/node.js";

export class Backlog {
  received = 0;
  handled = 0;

  /** A reader that counts what it delivers. */
  count(reader: MessageReader): MessageReader {
    return {
      onError: reader.onError,
      onClose: reader.onClose,
      onPartialMessage: reader.onPartialMessage,
      listen: (callback) => reader.listen((message) => {
        this.received++;
        callback(message);
      }),
      dispose: () => reader.dispose(),
    };
  }

  /** For ConnectionOptions.messageStrategy. */
  readonly strategy = {
    handleMessage: (message: Message, next: (message: Message) => void): void => {
      this.handled++;
      next(message);
    },
  };

  /** Call `then` once the messages received so far are handled (or `deadline` passes). */
  drained(then: () => void, deadline: number): void {
    let turns = 0;
    let seen = this.handled;
    const check = (): void => {
      if (this.received > this.handled && performance.now() < deadline) {
        // The connection handles one message per turn: give it a turn, and keep going while it moves.
        if (turns === 0 || this.handled !== seen) {
          turns++;
          seen = this.handled;
          setImmediate(check);
          return;
        }
        this.received = this.handled;
      }
      then();
    };
    check();
  }
}
