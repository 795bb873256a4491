#include "server/http/response_head.h"

#include "gtest/gtest.h"

namespace tokend::http {
namespace {

HttpResponse Response(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

ResponseContext Context() {
  ResponseContext context;
  context.request_id = "rid";
  return context;
}

TEST(ResponseHeadTest, FramesTheBodyAndEchoesTheRequestId) {
  HttpResponse response = Response(201, "abc");
  response.headers = {{"Content-Type", "application/json"},
                      {"Set-Cookie", "a=1"},
                      {"Set-Cookie", "b=2"}};
  auto head = FormatResponseHead(response, Context());
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->text,
            "HTTP/1.1 201 Created\r\n"
            "Content-Type: application/json\r\n"
            "Set-Cookie: a=1\r\n"
            "Set-Cookie: b=2\r\n"
            "x-request-id: rid\r\n"
            "Content-Length: 3\r\n\r\n");
  EXPECT_TRUE(head->send_body);
  EXPECT_FALSE(head->close);
}

TEST(ResponseHeadTest, HeadKeepsTheLengthAndDropsTheBody) {
  ResponseContext context = Context();
  context.head_request = true;
  auto head = FormatResponseHead(Response(200, "12345"), context);
  ASSERT_TRUE(head.ok());
  EXPECT_NE(head->text.find("Content-Length: 5\r\n"), std::string::npos);
  EXPECT_FALSE(head->send_body);
}

TEST(ResponseHeadTest, NoContentAndNotModifiedHaveNoLengthOrBody) {
  for (int status : {204, 304}) {
    auto head = FormatResponseHead(Response(status, "x"), Context());
    ASSERT_TRUE(head.ok());
    EXPECT_EQ(head->text.find("Content-Length"), std::string::npos);
    EXPECT_FALSE(head->send_body);
  }
}

TEST(ResponseHeadTest, ConnectionHeaders) {
  ResponseContext context = Context();
  context.close = true;
  auto closing = FormatResponseHead(Response(200, ""), context);
  ASSERT_TRUE(closing.ok());
  EXPECT_NE(closing->text.find("Connection: close\r\n"), std::string::npos);
  EXPECT_TRUE(closing->close);

  context = Context();
  context.http10 = true;
  auto kept = FormatResponseHead(Response(200, ""), context);
  ASSERT_TRUE(kept.ok());
  EXPECT_NE(kept->text.find("Connection: keep-alive\r\n"), std::string::npos);

  // The handler may ask to close; its own Connection header is not copied.
  HttpResponse response = Response(200, "");
  response.headers = {{"connection", "Keep-Alive, CLOSE"}};
  auto asked = FormatResponseHead(response, Context());
  ASSERT_TRUE(asked.ok());
  EXPECT_TRUE(asked->close);
  EXPECT_EQ(asked->text.find("Keep-Alive"), std::string::npos);
}

TEST(ResponseHeadTest, ServerOwnedHeadersFromTheHandlerAreDropped) {
  HttpResponse response = Response(200, "ab");
  response.headers = {{"Content-Length", "100"},
                      {"transfer-encoding", "chunked"},
                      {"X-Request-Id", "forged"},
                      {"Keep-Alive", "timeout=5"}};
  auto head = FormatResponseHead(response, Context());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(
      head->text,
      "HTTP/1.1 200 OK\r\nx-request-id: rid\r\nContent-Length: 2\r\n\r\n");
}

TEST(ResponseHeadTest, RejectsWhatWouldCorruptTheStream) {
  for (const auto& [name, value] :
       std::vector<std::pair<std::string, std::string>>{
           {"X-A", "a\r\nInjected: 1"},
           {"X-A", "a\nb"},
           {"X-A", std::string("a\0b", 3)},
           {"X A", "v"},
           {"X:A", "v"},
           {"", "v"}}) {
    HttpResponse response = Response(200, "");
    response.headers = {{name, value}};
    EXPECT_FALSE(FormatResponseHead(response, Context()).ok()) << name;
  }
  for (int status : {0, 99, 100, 101, 199, 600, -1}) {
    EXPECT_FALSE(FormatResponseHead(Response(status, ""), Context()).ok())
        << status;
  }
  HttpResponse tab = Response(200, "");
  tab.headers = {{"X-Tab", "a\tb"}};
  EXPECT_TRUE(FormatResponseHead(tab, Context()).ok());
}

TEST(ResponseHeadTest, ReasonPhrases) {
  EXPECT_EQ(ReasonPhrase(200), "OK");
  EXPECT_EQ(ReasonPhrase(404), "Not Found");
  EXPECT_EQ(ReasonPhrase(413), "Content Too Large");
  EXPECT_EQ(ReasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(ReasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(ReasonPhrase(503), "Service Unavailable");
  EXPECT_EQ(ReasonPhrase(299), "");
  auto head = FormatResponseHead(Response(299, ""), Context());
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->text.substr(0, 15), "HTTP/1.1 299 \r\n");
}

}  // namespace
}  // namespace tokend::http
