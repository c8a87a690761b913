namespace G; public class T { [Fact] public void A() { Assert.True(true); } }
