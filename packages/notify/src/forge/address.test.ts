import { describe, expect, it } from 'vitest';
import { GitAddressError, parseBitbucketServerAddress, parseGitAddress } from './address.js';

describe('parseGitAddress (spec §5.1 address parsing)', () => {
  it.each([
    ['https://github.com/org/repo', 'https://github.com', 'org/repo'],
    ['https://github.com/org/repo.git', 'https://github.com', 'org/repo'],
    ['http://gitea.local:3000/org/repo.git', 'http://gitea.local:3000', 'org/repo'],
    ['ssh://git@github.com/org/repo.git', 'https://github.com', 'org/repo'],
    [
      'ssh://git@gitlab.example.com:2222/group/sub/repo.git',
      'https://gitlab.example.com:2222',
      'group/sub/repo',
    ],
    ['git@github.com:org/repo.git', 'https://github.com', 'org/repo'],
    ['git@gitlab.com:group/subgroup/project.git', 'https://gitlab.com', 'group/subgroup/project'],
    ['https://dev.azure.com/Org/Project/_git/Repo', 'https://dev.azure.com', 'Org/Project/_git/Repo'],
  ])('%s → %s + %s', (address, host, id) => {
    expect(parseGitAddress(address)).toMatchObject({ host, id });
  });

  it('keeps a trailing slash, which breaks the two-segment checks as in Flux', () => {
    expect(parseGitAddress('https://github.com/org/repo/').id).toBe('org/repo/');
  });

  it('rejects what is not a git address', () => {
    expect(() => parseGitAddress('not an address')).toThrow(GitAddressError);
    expect(() => parseGitAddress('not an address')).toThrow(/^failed parsing URL "not an address"/);
  });
});

describe('parseBitbucketServerAddress', () => {
  it('uses the part before the last /scm/ as context path', () => {
    expect(parseBitbucketServerAddress('https://bb.example.com/ctx/scm/PROJ/repo.git')).toEqual({
      commitsUrl: 'https://bb.example.com/ctx/rest/api/latest/projects/PROJ/repos/repo/commits',
      projectKey: 'PROJ',
      repoSlug: 'repo',
    });
    expect(parseBitbucketServerAddress('http://bb:7990/scm/p/r').commitsUrl).toBe(
      'http://bb:7990/rest/api/latest/projects/p/repos/r/commits',
    );
  });

  it.each([
    [
      'ssh://git@bb.example.com/scm/p/r.git',
      'unsupported scheme type in address: ssh. Must be http or https',
    ],
    ['https://bb.example.com/p/r.git', 'supplied provider address is not http(s) git clone url'],
    ['https://bb.example.com/scm/p/r/x.git', 'invalid repository id "p/r/x"'],
  ])('rejects %s with Flux text', (address, text) => {
    expect(() => parseBitbucketServerAddress(address)).toThrow(`could not parse git address: ${text}`);
  });
});
