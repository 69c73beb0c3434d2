import * as fs from 'node:fs';
import * as os from 'node:os';
import type { ConnectionEnvironment } from '../core/connections/model';

export function nodeEnvironment(): ConnectionEnvironment {
  return {
    env: process.env,
    homeDir: os.homedir(),
    osUser: safeUserName(),
    readTextFile: (path) => {
      try {
        return fs.readFileSync(path, 'utf8');
      } catch {
        return undefined;
      }
    },
    fileMode: (path) => {
      try {
        return fs.statSync(path).mode & 0o777;
      } catch {
        return undefined;
      }
    },
  };
}

function safeUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
