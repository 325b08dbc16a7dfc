import { Writable } from 'node:stream';
import { createLogger, maskText, maskValue } from '../../server/lib/logger';

function capture(): { lines: string[]; stream: Writable } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream };
}

describe('logger redaction of personal data', () => {
  it('should mask phones, ID numbers and names in logged objects', () => {
    // given
    const { lines, stream } = capture();
    const log = createLogger('info', stream);

    // when
    log.info(
      { student: { studentName: '王小明', idNumber: '41110220150101123X' }, phone: '13812345678' },
      'applied',
    );

    // then
    const out = lines.join('');
    expect(out).not.toContain('王小明');
    expect(out).not.toContain('41110220150101123X');
    expect(out).not.toContain('13812345678');
    expect(out).toContain('138****5678');
  });

  it('should mask phones and ID numbers inside free text', () => {
    expect(maskText('/api/x?phone=13812345678&id=41110220150101123X')).toBe(
      '/api/x?phone=138****5678&id=4111************3X',
    );
    expect(maskValue('13812345678')).toBe('138****5678');
    expect(maskValue('张三')).toBe('张*');
  });
});
