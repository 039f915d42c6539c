import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { logger } from '../../../log/logger.js';
import type { OutputSink } from '../types.js';

/** One of a job's output streams, decoded as UTF-8 and forwarded to the sink as it arrives. */
export interface OutputPipe {
  /** Settles when the stream has ended, closed or failed. */
  readonly closed: Promise<void>;
  /** Stops reading (the stream is destroyed) and flushes any partial character. Idempotent. */
  stop(): void;
}

export function pipeOutput(stream: Readable, name: 'stdout' | 'stderr', sink: OutputSink): OutputPipe {
  // One decoder per stream, so a multibyte character split across chunks is kept whole.
  const decoder = new StringDecoder('utf8');
  let flushed = false;
  let sinkFailed = false;
  const write = (text: string): void => {
    if (text === '' || sinkFailed) return;
    try {
      sink.write(text, name);
    } catch (err) {
      sinkFailed = true;
      logger().warn({ err, stream: name }, 'local executor: output sink failed; dropping further output');
    }
  };
  const flush = (): void => {
    if (flushed) return;
    flushed = true;
    write(decoder.end());
  };
  const closed = new Promise<void>((resolve) => {
    stream.on('data', (chunk: Buffer) => {
      if (!flushed) write(decoder.write(chunk));
    });
    stream.once('end', () => {
      flush();
      resolve();
    });
    stream.once('close', () => resolve());
    stream.once('error', (err) => {
      logger().warn({ err, stream: name }, 'local executor: output stream failed');
      resolve();
    });
  });
  return {
    closed,
    stop() {
      flush();
      stream.destroy();
    },
  };
}
