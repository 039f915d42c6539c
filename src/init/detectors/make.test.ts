import { describe, expect, it } from 'vitest';
import { parseMakeTargets } from './make.js';

describe('parseMakeTargets', () => {
  it('finds explicit targets and skips variables, special targets, pattern rules and recipes', () => {
    const makefile = [
      '# Build the thing',
      'CC := gcc',
      'CFLAGS ?= -O2',
      'LDFLAGS += -lm',
      'SHELL = /bin/bash',
      'NOW != date +%s',
      'EMPTY ::= ',
      'URL = http://example.com:8080/x',
      'export PATH := $(PWD)/bin:$(PATH)',
      '.PHONY: lint test build all clean',
      '.DEFAULT_GOAL := all',
      '',
      'all: build test ## Everything',
      '',
      'lint:',
      '\tnpm run lint',
      '\techo "not: a target"',
      'test: CFLAGS := -O0',
      'test: build',
      '\t./run-tests \\',
      '\t  --fast',
      '%.o: %.c',
      '\t$(CC) -c $<',
      '$(BIN): main.o',
      'build bin/app: main.o',
      'install::',
      'clean :',
      '\trm -rf dist',
      'define HELP',
      'usage: make [target]',
      'endef',
      '  check: lint',
      'multi: a \\',
      '  b',
      'win: dep\r',
    ].join('\n');
    expect(parseMakeTargets(makefile)).toEqual([
      'all',
      'lint',
      'test',
      'build',
      'bin/app',
      'install',
      'clean',
      'check',
      'multi',
      'win',
    ]);
  });

  it('returns nothing for a Makefile of variables only', () => {
    expect(parseMakeTargets('A = 1\nB := 2\ninclude common.mk\n')).toEqual([]);
  });
});
